"""The door of ``POST /slack/events``: the request's v0 signature is checked on the raw
bytes before anything in them is parsed; then the body must have a shape Slack sends.

- unsigned, forged, stale → 401; signed but not a Slack body (not UTF-8, not form or
  JSON, bad JSON in ``payload=``, missing fields) → 400 with a short reason; the body
  cap (HTTP_MAX_BODY, checked by bot/connections.py) → 413;
- each refusal is one short log line (method, path, client, reason: never the body,
  never a ``response_url``), at most one per client a minute with a count of the rest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.logs import RateLimitedLog

log = logging.getLogger("candor.slack.ingress")

MAX_SKEW = 5 * 60  # Slack's window for X-Slack-Request-Timestamp, in seconds
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SlackIngress:
    """Checks a request to the Slack endpoint; the checked body as text, or a refusal."""

    def __init__(self, signing_secret: str, now: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._secret = signing_secret.encode()
        self._now = now
        self.refusals = RateLimitedLog(log)
        self.refused = 0

    async def admit(self, request: web.Request) -> str | web.Response:
        """The body as text when the request is Slack's and well formed; else the refusal."""
        try:
            raw = await request.read()  # within HTTP_BODY_TIMEOUT and HTTP_MAX_BODY
            self._verify(raw, request)
            return check_shape(raw, request.content_type)
        except Refused as refusal:
            return self.refuse(request, refusal.status, refusal.reason)

    def refuse(self, request: web.Request, status: int, reason: str) -> web.Response:
        self.refused += 1
        client = request.remote or "unknown"
        self.refusals.warning(
            f"{client} {status}",  # forged and malformed are counted apart
            "Slack: refused %s %s from %s with %d: %s",
            request.method,
            request.raw_path[:200],  # as sent (%0A stays escaped), bounded
            client,
            status,
            reason,
        )
        return web.Response(status=status, text=f"{reason}\n")

    def _verify(self, raw: bytes, request: web.Request) -> None:
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if not timestamp or not signature:
            raise Refused(401, "not signed")
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise Refused(401, "malformed timestamp") from None
        if abs(self._now() - sent_at) > MAX_SKEW:
            raise Refused(401, "timestamp outside the 5-minute window")
        try:
            valid = self._verifier.is_valid(body=raw, timestamp=timestamp, signature=signature)
        except UnicodeDecodeError:  # slack_sdk signs text; Slack never sends other bytes
            base = b"v0:" + timestamp.encode() + b":" + raw
            digest = hmac.new(self._secret, base, hashlib.sha256).hexdigest()
            valid = hmac.compare_digest(f"v0={digest}", signature)
        if not valid:
            raise Refused(401, "bad signature")


def check_shape(raw: bytes, content_type: str) -> str:
    """The body as text if it is shaped like something Slack sends, else Refused(400)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    if content_type == JSON or (content_type != FORM and text.lstrip().startswith("{")):
        _check_envelope(_json_object(text, "body"))
        return text
    if content_type not in (FORM, "", "application/octet-stream"):
        raise Refused(400, "unsupported content type")
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        payload = _json_object(fields["payload"], "payload")
        if not isinstance(payload.get("type"), str):
            raise Refused(400, "payload has no type")
        _check_objects(payload, "user", "team", "channel", "view", "container", "message")
        return text
    if "command" in fields:
        missing = [name for name in ("user_id", "team_id", "channel_id") if not fields.get(name)]
        if missing:
            raise Refused(400, f"slash command without {', '.join(missing)}")
        return text
    if "ssl_check" in fields:
        return text
    raise Refused(400, "not a Slack request: no command, payload or event")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise Refused(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, f"{what} is not a JSON object")
    return value


def _check_envelope(body: dict[str, Any]) -> None:
    kind = body.get("type")
    if not isinstance(kind, str):
        raise Refused(400, "body has no type")
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise Refused(400, "event_callback without an event")
        _check_objects(event, "item")
    _check_objects(body, "authorizations")


def _check_objects(body: dict[str, Any], *names: str) -> None:
    """Fields bolt reads with ``.get``: when present they must be objects (or a list)."""
    for name in names:
        value = body.get(name)
        if value is not None and not isinstance(value, dict | list):
            raise Refused(400, f"{name} is not an object")
