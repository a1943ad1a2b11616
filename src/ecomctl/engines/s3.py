"""The few S3 calls ecomctl makes itself (is the bucket there, create it), signed with AWS
Signature Version 4 over the standard library: no SDK for two requests."""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ecomctl.engines.endpoints import S3Endpoint

_EMPTY = hashlib.sha256(b"").hexdigest()
TIMEOUT = 5.0


def _sign(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _request(s3: S3Endpoint, method: str, path: str) -> int:
    """Send a signed request with an empty body; the HTTP status (errors are statuses too)."""
    if s3.access_key is None or s3.secret_key is None:
        raise ValueError("S3 request without credentials")
    now = datetime.now(UTC)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = urlsplit(s3.url).netloc
    headers = {"host": host, "x-amz-content-sha256": _EMPTY, "x-amz-date": stamp}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [method, path, "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, _EMPTY]
    )
    scope = f"{day}/{s3.region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _sign(f"AWS4{s3.secret_key}".encode(), day)
    for part in (s3.region, "s3", "aws4_request"):
        key = _sign(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{s3.url.rstrip('/')}{path}", method=method)
    for name, value in headers.items():
        if name != "host":
            request.add_header(name, value)
    request.add_header(
        "Authorization",
        f"AWS4-HMAC-SHA256 Credential={s3.access_key}/{scope}, SignedHeaders={signed},"
        f" Signature={signature}",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def bucket_exists(s3: S3Endpoint) -> bool:
    return _request(s3, "HEAD", f"/{s3.bucket}") == 200


def ensure_bucket(s3: S3Endpoint) -> bool:
    """Create the lake's bucket unless it exists; True when it is there afterwards."""
    if bucket_exists(s3):
        return True
    return _request(s3, "PUT", f"/{s3.bucket}") in (200, 409)
