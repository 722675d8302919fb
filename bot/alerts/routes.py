"""``POST /alerts/alertmanager``, ``/alerts/grafana``, ``/alerts/generic`` (DESIGN §4).

Mounted only when ``ALERTS_TOKEN`` is set (else 404). Each request must carry
``Authorization: Bearer <ALERTS_TOKEN>``, compared in constant time: wrong or missing →
401 and nothing read further. A body that is not the route's JSON → 400 with the reason;
larger than ``ALERTS_MAX_BODY`` → 413 (bot/connections.py, before any handler). The
answer is 200 once the notification is recorded, so Alertmanager's retries only come
when it was not; a chat platform that refuses (the channel could not be made) → 503,
and the sender retries.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from prometheus_client import Counter
from pydantic import SecretStr

from bot.alerts.paths import ALERTMANAGER_PATH, GENERIC_PATH, GRAFANA_PATH
from bot.alerts.payloads import READERS, PayloadError, Reader
from bot.alerts.placement import Placement
from commands import AlertIntake, AlertMapping, AlertsUnavailable

log = logging.getLogger("candor.alerts")

RETRY_AFTER = "10"  # seconds; Alertmanager retries on its own schedule anyway


def _error(status: int, reason: str, **headers: str) -> web.Response:
    return web.json_response({"error": reason}, status=status, headers=headers)


def _authorized(request: web.Request, token: SecretStr) -> bool:
    scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


class AlertRoutes:
    def __init__(
        self,
        intake: AlertIntake,
        mapping: AlertMapping,
        placement: Placement,
        token: SecretStr,
        counter: Counter,
    ) -> None:
        self.intake = intake
        self.mapping = mapping
        self.placement = placement
        self.token = token
        self.counter = counter  # candor_alert_notifications{source, outcome}

    def register(self, app: web.Application) -> None:
        for path, source in (
            (ALERTMANAGER_PATH, "alertmanager"),
            (GRAFANA_PATH, "grafana"),
            (GENERIC_PATH, "generic"),
        ):
            app.router.add_post(path, self._route(source))

    def _route(self, source: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            response, outcomes = await self._handle(request, READERS[source])
            for outcome in outcomes:
                self.counter.labels(source=source, outcome=outcome).inc()
            return response

        return handle

    async def _handle(self, request: web.Request, read: Reader) -> tuple[web.Response, list[str]]:
        if not _authorized(request, self.token):
            log.warning("alerts: %s refused: bad or missing bearer token", request.path)
            headers = {"WWW-Authenticate": "Bearer"}
            return _error(401, "bad or missing bearer token", **headers), ["unauthorized"]
        try:
            notes = read(await request.read(), self.mapping)
        except PayloadError as error:
            log.info("alerts: %s refused: %s", request.path, error)
            return _error(400, str(error)), ["malformed"]
        place = await self.placement.place()
        if place is None:
            refusal = _error(503, "no chat platform to open incidents on", **{"Retry-After": "60"})
            return refusal, ["unavailable"]
        try:
            receipts = [await self.intake.receive(note, place) for note in notes]
        except AlertsUnavailable as error:
            log.warning("alerts: %s not taken: %s", request.path, error)
            return _error(503, str(error), **{"Retry-After": RETRY_AFTER}), ["unavailable"]
        except Exception:  # the database away, say: the sender retries; we log the cause
            ref = secrets.token_hex(4)
            log.exception("alerts: %s failed (ref %s)", request.path, ref)
            later = {"Retry-After": RETRY_AFTER}
            return _error(503, f"not recorded (ref {ref}); retry", **later), ["unavailable"]
        response = web.json_response(
            {"received": [{"outcome": r.outcome, "incident": r.incident} for r in receipts]}
        )
        return response, [r.outcome for r in receipts]
