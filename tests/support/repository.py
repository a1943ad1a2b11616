"""A stand-in for Maven Central: a real HTTP server on loopback serving the pinned artifacts
from the files of the user's own cache (filled by the session's native stack when it lacks
them), so faults touch real downloads without the network. Files can be served cut, corrupt
or slowly, and every request is recorded."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ecomctl.runners.native import pins
from ecomctl.settings import load_settings

PINNED = (pins.TRINO_SERVER, pins.METASTORE, *pins.METASTORE_JARS, *pins.SPARK_JARS)


@dataclass
class Repository:
    """Maven Central's layout, served from the session cache; some files can be broken."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)  # served by file name, from any folder
    port: int = 0
    cut: dict[str, int] = field(default_factory=dict)  # file name -> bytes before closing
    corrupt: set[str] = field(default_factory=set)
    slow: dict[str, float] = field(default_factory=dict)  # file name -> seconds to send it
    served: list[str] = field(default_factory=list)  # "<file name>@<first byte>" per request

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/maven2"


def _handler(repo: Repository) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            path = repo.files.get(name)
            if path is None:
                self.send_error(404)
                return
            data = path.read_bytes()
            if name in repo.corrupt:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            start = 0
            if self.headers.get("Range", "").startswith("bytes="):
                start = int(self.headers["Range"][6:].split("-")[0])
                self.send_response(206)
            else:
                self.send_response(200)
            repo.served.append(f"{name}@{start}")
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if name in repo.cut:
                self.wfile.write(body[: repo.cut.pop(name)])
                self.wfile.flush()
                self.connection.shutdown(2)  # the network fails midway
                return
            pieces = 10 if name in repo.slow else 1
            step = -(-len(body) // pieces)
            for offset in range(0, len(body), step):
                self.wfile.write(body[offset : offset + step])
                if name in repo.slow:
                    self.wfile.flush()
                    time.sleep(repo.slow[name] / pieces)

    return Handler


@pytest.fixture
def repository(request: pytest.FixtureRequest) -> Iterator[Repository]:
    """The user cache's pinned artifacts, by file name, behind a loopback HTTP server."""
    cache = load_settings().cache
    trino = (
        cache
        / "unpacked"
        / (pins.TRINO_SERVER.filename.removesuffix(".tar.gz") + pins.TRINO_UNPACKED)
    )
    fetched = all((cache / "artifacts" / a.group / a.filename).is_file() for a in PINNED)
    if not fetched or not trino.is_dir():
        request.getfixturevalue("native_home")  # its first `up` downloads and unpacks them all
    repo = Repository(
        cache, {a.filename: cache / "artifacts" / a.group / a.filename for a in PINNED}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(repo))
    repo.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield repo
    finally:
        server.shutdown()
