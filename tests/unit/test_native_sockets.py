"""The sockets the native stack's servers leave in /tmp: removed once theirs is stopped."""

from __future__ import annotations

import socket
from pathlib import Path

from ecomctl.runners.common import LOOPBACK, free_port
from ecomctl.runners.native.launch import remove_stale_sockets


def _unix_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as made:
        made.bind(str(path))  # the file stays when the socket is closed, as weed's do


def test_a_stopped_servers_sockets_go_and_a_listening_ones_stay() -> None:
    stopped = free_port()
    with socket.socket() as listening:
        listening.bind((LOOPBACK, 0))
        listening.listen()
        busy = listening.getsockname()[1]
        paths = [Path(f"/tmp/seaweedfs-s3-{stopped}.sock"), Path(f"/tmp/seaweedfs-s3-{busy}.sock")]
        for path in paths:
            _unix_socket(path)
        try:
            remove_stale_sockets([stopped, busy], [])
            assert [p.exists() for p in paths] == [False, True]
        finally:
            for path in paths:
                path.unlink(missing_ok=True)


def test_a_file_that_is_no_socket_is_left_alone() -> None:
    port = free_port()
    path = Path(f"/tmp/seaweedfs-s3-{port}.sock")
    path.write_text("not a socket")
    try:
        remove_stale_sockets([port], [])
        assert path.exists()
    finally:
        path.unlink()
