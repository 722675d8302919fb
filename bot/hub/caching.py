"""Strong ETags (a hash of the exact bytes sent) and short public caching.

A status page is hammered exactly when something is wrong; 30 seconds of shared
caching plus cheap revalidation (304) keeps the bot answering without hiding a
new update for long.
"""

from __future__ import annotations

import hashlib

from aiohttp import web
from aiohttp.helpers import ETAG_ANY

CACHE_CONTROL = "public, max-age=30"
# Pages carry no script, no third-party anything; the only form posts back here.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _matches(request: web.Request, etag: str) -> bool:
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
    candidates = request.if_none_match
    if not candidates:
        return False
    return any(c.value == ETAG_ANY or c.value == etag for c in candidates)


def cached(request: web.Request, body: bytes, content_type: str) -> web.Response:
    """200 with a strong ETag, or 304 when the client already holds these bytes."""
    etag = etag_of(body)
    headers = {"Cache-Control": CACHE_CONTROL, **SECURITY_HEADERS}
    if _matches(request, etag):
        response = web.Response(status=304, headers=headers)
    else:
        response = web.Response(body=body, headers=headers, content_type=content_type)
        if content_type.startswith(("text/", "application/")):
            response.charset = "utf-8"
    response.etag = etag  # a str is sent as a strong ETag: "<hash>"
    return response


def not_found(body: bytes, content_type: str) -> web.Response:
    response = web.Response(
        status=404,
        body=body,
        content_type=content_type,
        headers={"Cache-Control": "no-cache", **SECURITY_HEADERS},
    )
    response.charset = "utf-8"
    return response
