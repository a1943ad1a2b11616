"""Trino's protection where ecomctl runs it: the logins of its password file (PBKDF2 hashes,
never the passwords) and the certificate its HTTPS port serves (Trino takes passwords over
TLS only).

The certificate is made with the `cryptography` package (the native extra), not Java's
keytool: it writes PEM directly, which Trino reads as its keystore and Python's clients
(trino, dbt-trino, urllib) take as their CA bundle, with no keystore password to keep and no
program to run (keytool would need its store password on a command line or in the
environment of one more process).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from ecomctl import home

if TYPE_CHECKING:
    from cryptography import x509

# The logins of a Trino ecomctl runs, which its access-control rules (conf/trino/rules.json)
# name: the pipeline's writer, and the reader `query` logs in as.
WRITER = "ecomctl"
READER = "reader"
# Trino checks PBKDF2 hashes with HMAC-SHA1 and refuses fewer than 1,000 iterations; it caches
# a login once checked, so a slow hash costs once per connection's first request.
PBKDF2_ITERATIONS = 100_000
_CERT_DAYS = 3650


def password_hash(password: str, salt: bytes | None = None) -> str:
    """A hash as Trino's file authenticator reads it: `iterations:salt:hash`, lowercase hex."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha1", password.encode(), salt, PBKDF2_ITERATIONS, 32)
    return f"{PBKDF2_ITERATIONS}:{salt.hex()}:{digest.hex()}"


def password_file(path: Path, logins: dict[str, str]) -> Path:
    """Trino's password file (0600): one `user:hash` line per login."""
    lines = "".join(f"{user}:{password_hash(password)}\n" for user, password in logins.items())
    return home.write_private(path, lines)


def ensure_certificate(ca: Path, server: Path) -> None:
    """A CA certificate (ca, public) and the server's key and certificate for 127.0.0.1 and
    localhost signed by it (server, 0600), made once. The CA's key is never stored: no other
    certificate can ever be signed by it."""
    if ca.exists() and server.exists():
        return
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecomctl local Trino CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    home.write_private(server, key_pem + cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    home.write_private(ca, ca_cert.public_bytes(pem)).chmod(0o644)  # public: clients trust it


def _usage(cert_sign: bool) -> x509.KeyUsage:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
        crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )  # fmt: skip
