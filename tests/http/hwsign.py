"""Huawei Cloud AK/SK request signing (SDK-HMAC-SHA256), written again in plain Python.

An implementation independent of fnlua.hwcloud, from the API signing guide,
with only hashlib, hmac and urllib.parse, so that the tests compare two
implementations instead of one with itself:

    CanonicalRequest = METHOD \n canonical URI \n canonical query \n
                       canonical headers \n signed header names \n hex SHA-256 of the body
    StringToSign     = SDK-HMAC-SHA256 \n X-Sdk-Date \n hex SHA-256 of CanonicalRequest
    Signature        = hex HMAC-SHA256(secret key, StringToSign)
    Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=SIG

- the client side: `authorization()` signs a request the way an SDK does
  (every header given is signed);
- the server side: `verify()` checks a received request the way API Gateway
  does (only the headers the Authorization names; X-Sdk-Date and host must be
  among them; the date within 15 minutes when `now` is given).

Header values may be str (encoded as UTF-8) or bytes (as received).
"""

import calendar
import hashlib
import hmac
import re
import time
from urllib.parse import quote, unquote_to_bytes, urlsplit

ALGORITHM = "SDK-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_SKEW = 15 * 60
DEFAULT_PORTS = {"http": 80, "https": 443}
AUTH_RE = re.compile(r"^SDK-HMAC-SHA256 Access=([^,\s]+), SignedHeaders=([^,\s]+), Signature=([0-9a-f]{64})$")
WHITESPACE = b" \t\n\r\f\v"


def _bytes(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, bool):
        return b"true" if v else b"false"
    return str(v).encode("utf-8")


def escape(b):
    """RFC 3986: unreserved bytes kept, every other as %XX."""
    return quote(_bytes(b), safe="~")


def sha256_hex(data):
    return hashlib.sha256(_bytes(data)).hexdigest()


def canonical_uri(path):
    """The decoded path split at "/", each segment escaped, ending in "/"."""
    uri = "/".join(escape(seg) for seg in unquote_to_bytes(path or "/").split(b"/"))
    return uri if uri.endswith("/") else uri + "/"


def query_pairs(query_string, extra=None):
    """(key, value) byte pairs of a raw query string ("+" is a plus), plus `extra`
    ({key: value or [values]}); keys without a name are dropped."""
    pairs = []
    for part in query_string.split("&"):
        key, _, value = part.partition("=")
        if key:
            pairs.append((unquote_to_bytes(key), unquote_to_bytes(value)))
    for key, value in (extra or {}).items():
        for v in value if isinstance(value, list) else [value]:
            pairs.append((_bytes(key), _bytes(v)))
    return pairs


def canonical_query(pairs):
    """Sorted by key, then value (bytes); each escaped."""
    return "&".join(f"{escape(k)}={escape(v)}" for k, v in sorted(pairs))


def lower_headers(headers):
    """{lower-case name: trimmed value bytes}; a name given twice is an error."""
    out = {}
    for name, value in headers.items():
        low = name.lower()
        if low in out:
            raise ValueError(f"header {low} given twice")
        out[low] = _bytes(value).strip(WHITESPACE)
    return out


def canonical_request(method, url, headers, body, signed=None, query=None):
    """(CanonicalRequest bytes, signed names); `signed` defaults to every header
    but Authorization; `query` is added to the URL's own query."""
    parts = urlsplit(url)
    low = lower_headers(headers)
    if signed is None:
        signed = sorted(n for n in low if n != "authorization")
    payload = low.get("x-sdk-content-sha256") or sha256_hex(body or b"").encode()
    lines = [
        method.upper().encode(),
        canonical_uri(parts.path).encode(),
        canonical_query(query_pairs(parts.query, query)).encode(),
        b"".join(n.encode() + b":" + low[n] + b"\n" for n in signed),
        ";".join(signed).encode(),
        payload,
    ]
    return b"\n".join(lines), ";".join(signed)


def string_to_sign(canonical, date):
    return f"{ALGORITHM}\n{date}\n{hashlib.sha256(canonical).hexdigest()}".encode()


def signature(secret_key, sts):
    return hmac.new(_bytes(secret_key), sts, hashlib.sha256).hexdigest()


def host_of(url):
    """Host header for a URL: no user info, no default port."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    if parts.port is not None and parts.port == DEFAULT_PORTS.get(parts.scheme.lower()):
        host = host[: host.rfind(":")]
    return host


def authorization(access_key, secret_key, method, url, headers, body=b"", query=None):
    """The client side: Authorization for a request whose headers already hold
    X-Sdk-Date (and Host, X-Security-Token as wanted); every header is signed."""
    canonical, signed = canonical_request(method, url, headers, body, query=query)
    date = lower_headers(headers)["x-sdk-date"].decode()
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={signed}, " \
           f"Signature={signature(secret_key, string_to_sign(canonical, date))}"


def verify(method, target, headers, body, secrets, now=None):
    """The server side: (True, access key) when the request is signed with a
    key in `secrets` ({access key: secret key}), else (False, reason).
    `target` is the request target as received ("/path?query") or a full URL."""
    low = lower_headers(headers)
    auth = low.get("authorization", b"").decode("latin-1")
    m = AUTH_RE.match(auth)
    if not m:
        return False, f"malformed Authorization {auth!r}"
    access_key, names, sig = m.group(1), m.group(2).split(";"), m.group(3)
    if access_key not in secrets:
        return False, f"unknown access key {access_key!r}"
    if names != sorted(names) or "x-sdk-date" not in names or "host" not in names:
        return False, f"SignedHeaders must be sorted and hold host and x-sdk-date: {names}"
    missing = [n for n in names if n not in low]
    if missing:
        return False, f"signed headers not in the request: {missing}"
    date = low["x-sdk-date"].decode("latin-1")
    try:
        when = calendar.timegm(time.strptime(date, DATE_FORMAT))
    except ValueError:
        return False, f"malformed X-Sdk-Date {date!r}"
    if now is not None and abs(now - when) > MAX_SKEW:
        return False, f"X-Sdk-Date {date} is more than 15 minutes from the server's clock"
    canonical, _ = canonical_request(method, target, headers, body, signed=names)
    want = signature(secrets[access_key], string_to_sign(canonical, date))
    if not hmac.compare_digest(want, sig):
        return False, f"signature mismatch; canonical request was:\n{canonical.decode('utf-8', 'replace')}"
    return True, access_key
