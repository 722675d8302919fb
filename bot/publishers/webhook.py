"""Webhook destinations: each approved statement POSTed as JSON, signed per the
Standard Webhooks specification (https://www.standardwebhooks.com/).

Headers: ``webhook-id`` is derived from the outbox row, so every attempt of one
delivery carries the same id and a receiver that already took it (we never saw
its answer: a timeout, a crash) can drop the repeat. ``webhook-timestamp`` is the
wall-clock second of this attempt (receivers refuse signatures older than five
minutes, so it is never the desk's rehearsal clock). ``webhook-signature`` is
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with ``WEBHOOK_SECRET``.

2xx is delivered; 408, 425, 429, 5xx, timeouts and connection errors are tried
again later (a 429's or 503's ``Retry-After`` sets when); any other answer is a
refusal that retrying will not fix. Each webhook has its own courier in the outbox:
one that never answers costs its own queue ``WEBHOOK_TIMEOUT`` (15 s) per attempt, and
nobody else anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from math import floor
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from standardwebhooks import Webhook

from commands import DeliveryFailed, Publication, key_label, redact_url, redact_urls

log = logging.getLogger("candor.webhook")

TIMEOUT = 15.0  # one attempt; also the outbox's deadline for it (the ``timeout`` attribute)
EVENT_TYPE = "statement.published"
RETRYABLE_STATUS = frozenset({408, 425, 429})
USER_AGENT = "Candor-Webhooks/1 (+https://www.standardwebhooks.com/)"
MIN_SECRET_BYTES = 24  # the spec's lower bound


class WebhookConfigError(ValueError):
    """A webhook entry or WEBHOOK_SECRET cannot be used; the message says how to fix it."""


def signer(secret: str) -> Webhook:
    """The Standard Webhooks signer for ``whsec_<base64>`` (the prefix is optional)."""
    raw = secret.strip().removeprefix("whsec_")
    try:
        key = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except binascii.Error:
        key = b""
    if not key:
        raise WebhookConfigError(
            "WEBHOOK_SECRET is not a Standard Webhooks secret: it should be whsec_ followed "
            "by base64, e.g. whsec_$(openssl rand -base64 32)."
        )
    if len(key) < MIN_SECRET_BYTES:
        log.warning("WEBHOOK_SECRET is %d bytes; the spec asks for at least 24", len(key))
    return Webhook(key)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookConfigError(
            f"PUBLIC_DESTINATIONS entry webhook:{redact_urls(url)} needs an http(s) URL, "
            "e.g. webhook:https://example.com/hooks/candor."
        )
    return url


def webhook_id(publication: Publication) -> str:
    """One id per delivery, the same on every attempt. The hash of the row's queue time
    keeps it unique even if another database (a reset, a staging copy) reuses the row
    number for a different statement to the same receiver."""
    queued = publication.queued_at.isoformat() if publication.queued_at else ""
    seed = "|".join(
        (str(publication.delivery_id), queued, publication.incident_ref, publication.statement_ref)
    )
    digest = hashlib.sha256(seed.encode()).hexdigest()[:16]
    return f"msg_{publication.delivery_id}_{digest}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def payload(publication: Publication) -> dict[str, Any]:
    """The body: the spec's ``type``/``timestamp``/``data`` envelope. A correction's
    statement also carries ``corrects``: the statement it corrects, as published."""
    body: dict[str, Any] = {
        "type": EVENT_TYPE,
        "timestamp": _iso(publication.published_at),
        "data": {
            "incident": {
                "ref": publication.incident_ref,
                "title": publication.incident_title,
                "severity": publication.severity,
                "state": publication.state,
            },
            "statement": {
                "ref": publication.statement_ref,
                "kind": publication.kind,
                "body": publication.body,
                "signer": publication.signer,
                "published_at": _iso(publication.published_at),
            },
            "hub_url": publication.hub_url,
        },
    }
    original = publication.corrects
    if original is not None:
        body["data"]["statement"]["corrects"] = {
            "ref": original.statement_ref,
            "kind": original.kind,
            "body": original.body,
            "signer": original.signer,
            "published_at": _iso(original.published_at),
        }
    return body


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta())


def refusal(status: int, reason: str | None, headers: Any, now: datetime) -> DeliveryFailed:
    """A non-2xx answer as a failure a person can act on."""
    said = f"the receiver answered HTTP {status}" + (f" {reason}" if reason else "")
    if status in RETRYABLE_STATUS or status >= 500:
        wait = retry_after(headers.get("Retry-After"), now) if status in (429, 503) else None
        asked = f"; it asked for {floor(wait.total_seconds())} s" if wait is not None else ""
        return DeliveryFailed(said + asked, retryable=True, retry_after=wait)
    if status in (401, 403):
        hint = "; check that it verifies with the same WEBHOOK_SECRET"
    elif status in (404, 405, 410):
        hint = "; check the URL in PUBLIC_DESTINATIONS"
    elif 300 <= status < 400:
        where = headers.get("Location")
        hint = f" (a redirect{f' to {redact_url(where)}' if where else ''}); use the final URL"
    else:
        hint = ""
    return DeliveryFailed(f"{said}{hint} (not retried)", retryable=False)


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class WebhookDestination:
    """POSTs approved statements to one URL, signed with ``secret``."""

    def __init__(
        self,
        url: str,
        secret: str,
        session: aiohttp.ClientSession | Callable[[], aiohttp.ClientSession],
        *,
        timeout: float = TIMEOUT,
        wall_clock: Callable[[], datetime] = _wall_clock,
    ) -> None:
        self.url = check_url(url)
        self._signer = signer(secret)
        # A session, or what makes one when first needed (so a failed start leaks none).
        self._session = session
        self.timeout = timeout
        self.wall_clock = wall_clock
        self.key = f"webhook:{url}"
        self.label = key_label(self.key)

    def signed(self, message_id: str, body: str) -> dict[str, str]:
        sent_at = self.wall_clock()
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(floor(sent_at.timestamp())),
            "webhook-signature": self._signer.sign(message_id, sent_at, body),
        }

    @property
    def session(self) -> aiohttp.ClientSession:
        if isinstance(self._session, aiohttp.ClientSession):
            return self._session
        return self._session()

    async def deliver(self, publication: Publication) -> str:
        message_id = webhook_id(publication)
        body = json.dumps(payload(publication), ensure_ascii=False, separators=(",", ":"))
        try:
            async with self.session.post(
                self.url,
                data=body.encode(),
                headers=self.signed(message_id, body),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as response:
                if 200 <= response.status < 300:
                    return message_id
                raise refusal(response.status, response.reason, response.headers, _wall_clock())
        except TimeoutError as error:
            waited = f"the receiver did not answer within {self.timeout:g} s"
            raise DeliveryFailed(waited) from error
        except aiohttp.ClientError as error:
            raise DeliveryFailed(f"could not reach the receiver: {_describe(error)}") from error


def _describe(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        cause = error.os_error
        said = os.strerror(cause.errno).lower() if cause.errno else str(cause)
        return f"{error.host}:{error.port}: {said}"
    # aiohttp quotes the request URL in some errors (its query may hold a token).
    return redact_urls(str(error)) or type(error).__name__


class Webhooks:
    """Builds webhook destinations from ``PUBLIC_DESTINATIONS``; owns the one HTTP
    session they share (the runtime closes it on stop)."""

    def __init__(self, secret: str | None, *, timeout: float = TIMEOUT) -> None:
        self.secret, self.timeout = secret, timeout
        self._session: aiohttp.ClientSession | None = None

    def destination(self, target: str) -> WebhookDestination:
        if not self.secret:
            raise WebhookConfigError(
                f"PUBLIC_DESTINATIONS has a webhook ({key_label('webhook:' + target)}) but "
                "WEBHOOK_SECRET is not set. Set it to a Standard Webhooks secret "
                "(whsec_ followed by base64, e.g. whsec_$(openssl rand -base64 32)) and give "
                "the receiver the same secret to verify with."
            )
        return WebhookDestination(target, self.secret, self.session, timeout=self.timeout)

    def session(self) -> aiohttp.ClientSession:
        """The shared session, made on first use (inside the running event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
