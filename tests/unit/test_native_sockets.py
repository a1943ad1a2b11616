"""The sockets the native stack's servers leave in /tmp: removed once nothing listens on them,
whatever port they were made for."""

from __future__ import annotations

import socket
from pathlib import Path

from ecomctl.runners.common import free_port
from ecomctl.runners.native.launch import remove_stale_sockets


def _unix_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as made:
        made.bind(str(path))  # the file stays when the socket is closed, as weed's do


def test_a_stopped_servers_sockets_go_and_a_listening_ones_stay() -> None:
    # Two ports no ecomctl home has (an old port, from before a service moved, is the same).
    stopped, busy = free_port(), free_port()
    paths = [Path(f"/tmp/seaweedfs-s3-{stopped}.sock"), Path(f"/tmp/seaweedfs-s3-{busy}.sock")]
    _unix_socket(paths[0])
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(paths[1]))
        listening.listen()
        try:
            remove_stale_sockets([])
            assert [p.exists() for p in paths] == [False, True]
        finally:
            for path in paths:
                path.unlink(missing_ok=True)


def test_a_file_that_is_no_socket_is_left_alone() -> None:
    port = free_port()
    path = Path(f"/tmp/seaweedfs-s3-{port}.sock")
    path.write_text("not a socket")
    try:
        remove_stale_sockets([])
        assert path.exists()
    finally:
        path.unlink()
