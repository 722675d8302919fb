"""Strong ETags (a hash of the exact bytes sent), Last-Modified and short public caching.

A status page is hammered exactly when something is wrong, and its database may be
what is wrong. The hub serves renderings kept in memory (bot/hub/rendering.py); these
headers let browsers and shared caches do the same: fresh for the refresh interval,
then served while revalidating, and for a day when the origin fails (RFC 5861).
Cheap revalidation (304, by ETag or by date) keeps the bot answering without hiding
a new update for long.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from wsgiref.handlers import format_date_time

from aiohttp import web
from aiohttp.helpers import ETAG_ANY

STALE_IF_ERROR = timedelta(days=1)
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


def cache_control(max_age: timedelta) -> str:
    """Fresh for ``max_age``, then usable while revalidating for as long again, and for a
    day when the origin answers with an error (the database is away)."""
    seconds = max(1, round(max_age.total_seconds()))
    stale_if_error = round(STALE_IF_ERROR.total_seconds())
    return (
        f"public, max-age={seconds}, stale-while-revalidate={seconds}, "
        f"stale-if-error={stale_if_error}"
    )


@dataclass(frozen=True)
class Representation:
    """One rendered answer, kept in memory and sent as is: the bytes, their type, and
    (for a 200) their strong ETag and when they last changed."""

    body: bytes
    content_type: str
    last_modified: datetime
    status: int = 200
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", etag_of(self.body))

    def headers(self, control: str) -> dict[str, str]:
        """The headers of a 200 or 304 of these bytes, built once per rendering (a
        request then costs a dict copy, not a date format and a hash)."""
        cached: dict[str, dict[str, str]] = self.__dict__.setdefault("_headers", {})
        if control not in cached:
            kind = self.content_type
            if kind.startswith(("text/", "application/")):
                kind += "; charset=utf-8"
            cached[control] = {
                "Content-Type": kind,
                "Cache-Control": control,
                "ETag": f'"{self.etag}"',
                "Last-Modified": format_date_time(self.last_modified.timestamp()),
                **SECURITY_HEADERS,
            }
        return cached[control]

    def since(self, previous: Representation | None) -> Representation:
        """Keep the earlier Last-Modified when the bytes did not change."""
        if previous is not None and previous.etag == self.etag:
            return previous
        return self


def _not_modified(request: web.Request, found: Representation) -> bool:
    if request.headers.get("If-None-Match") is not None:  # the tag decides (RFC 9110 §13.2.2)
        return _matches(request, found.etag)
    since = request.if_modified_since
    return since is not None and found.last_modified.replace(microsecond=0) <= since


def serve(request: web.Request, found: Representation, control: str, age: int) -> web.Response:
    """A kept rendering: 200 with its ETag and Last-Modified, or 304 when the client
    already holds these bytes; anything but a 200 as ``not_found`` would send it."""
    if found.status != 200:
        return error_page(found.status, found.body, found.content_type)
    headers = {**found.headers(control), "Age": str(max(0, age))}
    if _not_modified(request, found):
        del headers["Content-Type"]
        return web.Response(status=304, headers=headers)
    return web.Response(body=found.body, headers=headers)


def not_found(body: bytes, content_type: str) -> web.Response:
    return error_page(404, body, content_type)


def error_page(status: int, body: bytes, content_type: str, **headers: str) -> web.Response:
    response = web.Response(
        status=status,
        body=body,
        content_type=content_type,
        headers={"Cache-Control": "no-cache", **SECURITY_HEADERS, **headers},
    )
    response.charset = "utf-8"
    return response
