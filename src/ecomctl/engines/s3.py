"""The few S3 calls ecomctl makes itself (is the bucket there, create it, what lies under a
prefix), signed with AWS Signature Version 4 over the standard library: no SDK for three
requests."""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from ecomctl.engines.endpoints import S3Endpoint

TIMEOUT = 5.0


def _sign(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _request(s3: S3Endpoint, method: str, path: str) -> int:
    """Send a signed request with an empty body; the HTTP status (errors are statuses too)."""
    return _send(s3, method, path, {})[0]


def _send(
    s3: S3Endpoint, method: str, path: str, params: dict[str, str], body: bytes = b""
) -> tuple[int, bytes]:
    """A signed request: the HTTP status and the answer's body."""
    if s3.access_key is None or s3.secret_key is None:
        raise ValueError("S3 request without credentials")
    now = datetime.now(UTC)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = urlsplit(s3.url).netloc
    digest = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": digest, "x-amz-date": stamp}
    signed = ";".join(sorted(headers))
    # SigV4's canonical query: every name and value percent-encoded, sorted by name.
    query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(params.items())
    )
    canonical = "\n".join(
        [method, path, query, *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, digest]
    )
    scope = f"{day}/{s3.region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _sign(f"AWS4{s3.secret_key}".encode(), day)
    for part in (s3.region, "s3", "aws4_request"):
        key = _sign(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    url = f"{s3.url.rstrip('/')}{path}" + (f"?{query}" if query else "")
    request = urllib.request.Request(url, data=body or None, method=method)
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
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), b""


def bucket_exists(s3: S3Endpoint) -> bool:
    return _request(s3, "HEAD", f"/{s3.bucket}") == 200


def ensure_bucket(s3: S3Endpoint) -> bool:
    """Create the lake's bucket unless it exists; True when it is there afterwards."""
    if bucket_exists(s3):
        return True
    return _request(s3, "PUT", f"/{s3.bucket}") in (200, 409)


# What a write probe writes: a block's worth, as a store that is full refuses (an empty object
# may live in its metadata alone).
_PROBE = b"ecomctl write probe\n" * 3277
PROBE_KEY = ".ecomctl/write-probe"


def can_write(s3: S3Endpoint) -> bool:
    """Whether the lake's store takes a write now (it may refuse one after its disk was full,
    while answering every read): an object put, then removed."""
    status, _ = _send(s3, "PUT", f"/{s3.bucket}/{PROBE_KEY}", {}, _PROBE)
    if status != 200:
        return False
    _request(s3, "DELETE", f"/{s3.bucket}/{PROBE_KEY}")
    return True


_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def list_objects(s3: S3Endpoint, prefix: str) -> dict[str, int]:
    """Every object under prefix in the lake's bucket: its key and its size in bytes."""
    found: dict[str, int] = {}
    params = {"list-type": "2", "prefix": prefix}
    while True:
        status, body = _send(s3, "GET", f"/{s3.bucket}", params)
        if status != 200:
            raise OSError(f"S3 at {s3.url}: listing s3://{s3.bucket}/{prefix} answered {status}")
        root = ET.fromstring(body)
        for item in root.iter(f"{_NS}Contents"):
            found[item.findtext(f"{_NS}Key", "")] = int(item.findtext(f"{_NS}Size", "0"))
        token = root.findtext(f"{_NS}NextContinuationToken")
        if root.findtext(f"{_NS}IsTruncated") != "true" or not token:
            return found
        params = {**params, "continuation-token": token}
