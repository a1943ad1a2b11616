"""Trino's logins and certificate where ecomctl runs it: hashes Trino's file authenticator
reads, and a certificate a client verifies with the home's CA alone."""

from __future__ import annotations

import hashlib
import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest

from ecomctl.runners import trino_auth


def test_a_password_hash_is_pbkdf2_as_trinos_file_authenticator_reads_it() -> None:
    iterations, salt, digest = trino_auth.password_hash("s3cret").split(":")
    assert int(iterations) >= 1000  # Trino refuses fewer
    assert salt == salt.lower() and digest == digest.lower()
    # Trino checks it with PBKDF2WithHmacSHA1, the hash's own length.
    expected = hashlib.pbkdf2_hmac(
        "sha1", b"s3cret", bytes.fromhex(salt), int(iterations), len(digest) // 2
    )
    assert expected.hex() == digest
    assert trino_auth.password_hash("s3cret") != trino_auth.password_hash("s3cret")  # salted


def test_the_password_file_holds_hashes_only_and_is_private(tmp_path: Path) -> None:
    path = trino_auth.password_file(tmp_path / "users.db", {"ecomctl": "pw1", "reader": "pw2"})
    lines = path.read_text().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["ecomctl", "reader"]
    assert "pw1" not in path.read_text() and "pw2" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_client_verifies_the_server_certificate_with_the_homes_ca(tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    ca, server = tmp_path / "ca.pem", tmp_path / "server.pem"
    trino_auth.ensure_certificate(ca, server)
    assert stat.S_IMODE(server.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" not in ca.read_bytes()
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(server)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def accept() -> None:
            conn, _ = listener.accept()
            with served.wrap_socket(conn, server_side=True):
                pass

        threading.Thread(target=accept, daemon=True).start()
        client = ssl.create_default_context(cafile=str(ca))
        client.verify_flags |= ssl.VERIFY_X509_STRICT  # what newer Pythons check by default
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            client.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            peer = tls.getpeercert()
            assert peer is not None
            assert peer["subjectAltName"] == (
                ("DNS", "localhost"),
                ("IP Address", "127.0.0.1"),
            )
    before = server.read_bytes()
    trino_auth.ensure_certificate(ca, server)  # made once: clients keep trusting it
    assert server.read_bytes() == before
