"""Assembles the Slack side: Web API client, bolt app, HTTP route or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import ClassVar
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters import StartOptions
from bot.priority import TeamFirst
from bot.settings import Settings
from bot.slack.destination import SlackChannelDestination
from bot.slack.ingress import SlackIngress
from bot.slack.listeners import ACK_SENT, register
from bot.slack.platform import SlackChat, slack_error
from bot.startup import StartupError
from commands import Desk, redact_url

log = logging.getLogger("candor.slack")
EVENTS_PATH = "/slack/events"
# The start-up check of the token gets this long, retries included: a Slack that does not
# answer stops the start with one line in seconds, not after the client's 30-s timeout.
STARTUP_CHECK_SECONDS = 5.0
SESSION_CONNECTIONS = 32  # kept-alive connections to Slack (calls and answers)


class SlackConfigError(Exception):
    """Slack settings that cannot work; the message says which and why."""


class SlackUnavailable(SlackConfigError):
    """Slack (or SLACK_API_URL) did not answer the start-up check: not a settings mistake
    as such, and it may pass; the message says what was tried."""


class SlackAdapter:
    """The Slack platform (``bot.adapters.Adapter``)."""

    name: ClassVar[str] = "slack"
    place: ClassVar[str | None] = "Slack"
    group_word: ClassVar[str] = "group"  # slack:group:S123, a user group
    feed_channel = None
    public_channel = None

    @classmethod
    def build(cls, settings: Settings, options: StartOptions) -> SlackAdapter | None:
        if not settings.has_slack:
            return None
        try:
            return cls(settings)
        except SlackConfigError as error:
            raise StartupError(str(error)) from error

    def __init__(self, settings: Settings) -> None:
        assert settings.slack_bot_token is not None
        token = settings.slack_bot_token.get_secret_value()
        self.socket_mode = settings.slack_app_token is not None
        self.ack_path = None if self.socket_mode else EVENTS_PATH  # Socket Mode acks in-band
        if not self.socket_mode and settings.slack_signing_secret is None:
            raise SlackConfigError(
                "SLACK_SIGNING_SECRET is required for Slack over HTTP "
                "(or set SLACK_APP_TOKEN to use Socket Mode)."
            )
        # One keep-alive session for every call to Slack and every slash-command answer:
        # without it slack_sdk opens a connection (a TLS handshake) per call.
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=SESSION_CONNECTIONS, keepalive_timeout=30)
        )
        self.client = AsyncWebClient(
            token=token, base_url=settings.slack_api_url, session=self.session
        )
        # 429s honour Retry-After; 5xx are retried a few times before a delivery fails.
        self.client.retry_handlers.extend(
            [
                AsyncRateLimitErrorRetryHandler(max_retry_count=5),
                AsyncServerErrorRetryHandler(max_retry_count=2),
            ]
        )
        secret = settings.slack_signing_secret
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else "unused-in-socket-mode",
            request_verification_enabled=not self.socket_mode,
        )
        self.chat = SlackChat(self.client)
        self.ingress = SlackIngress(secret.get_secret_value() if secret else "")
        # Publications retry 429s only (Slack did nothing). A 5xx or a dropped connection
        # may come after Slack posted: the outbox retries those, looking for the post first.
        self._publisher = AsyncWebClient(
            token=token,
            base_url=settings.slack_api_url,
            session=self.session,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=5)],
        )
        self._app_token = settings.slack_app_token
        self._socket: AsyncSocketModeHandler | None = None

    async def check(self) -> None:
        try:
            await self.check_token()
        except SlackConfigError as error:
            await self.session.close()  # the start stops here: nothing else will close it
            code = 1 if isinstance(error, SlackUnavailable) else 2
            raise StartupError(str(error), exit_code=code) from error

    async def check_token(self) -> str:
        """Fail at start, clearly and within STARTUP_CHECK_SECONDS, if Slack does not
        accept the bot token or does not answer."""
        where = redact_url(self.client.base_url)  # a proxy's URL may carry a password
        try:
            async with asyncio.timeout(STARTUP_CHECK_SECONDS):
                response = await self.client.auth_test()
        except SlackApiError as error:
            status = error.response.status_code
            if status >= 500 or status == 429:
                raise SlackUnavailable(
                    f"Slack: {where} answered HTTP {status} to auth.test: Slack may be having "
                    "trouble (https://slack-status.com) or SLACK_API_URL is wrong; "
                    "start again shortly."
                ) from error
            raise SlackConfigError(f"Slack: {slack_error(error).reason}") from error
        except TimeoutError as error:
            raise SlackUnavailable(
                f"Slack: no answer from {where} within {STARTUP_CHECK_SECONDS:.0f} s; "
                "check the network or SLACK_API_URL."
            ) from error
        except (aiohttp.ClientError, OSError) as error:
            raise SlackUnavailable(
                f"Slack: could not reach {where} ({_network_reason(error)}); "
                "check the network or SLACK_API_URL."
            ) from error
        log.info("Slack: connected to %s as %s", response.get("team"), response.get("user"))
        return str(response.get("team_id", ""))

    def destination(self, channel_id: str) -> SlackChannelDestination:
        return SlackChannelDestination(self._publisher, channel_id)

    def attach(self, desk: Desk, http: web.Application, team_first: TeamFirst) -> None:
        self.team_first = team_first
        register(self.app, desk, self.chat, team_first, self.session)
        if not self.socket_mode:
            http.router.add_post(EVENTS_PATH, self._events)

    async def _events(self, request: web.Request) -> web.Response:
        checked = await self.ingress.admit(request)  # signature first, on the raw bytes
        if isinstance(checked, web.Response):
            return checked
        try:
            bolt_request = AsyncBoltRequest(
                body=checked, query=request.query_string, headers=dict(request.headers)
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return self.ingress.refuse(request, 400, "payload bolt cannot read")
        _reparse_form(bolt_request)
        sent = bolt_request.context[ACK_SENT] = asyncio.Event()  # the listener waits on it
        try:
            with self.team_first.working():  # the ack before any public read
                bolt_response = await self.app.async_dispatch(bolt_request)
            if bolt_response.status >= 500:  # bolt could not read the payload (it logged why)
                return self.ingress.refuse(request, 400, "payload of an unexpected shape")
            return await to_aiohttp_response(bolt_response)
        finally:
            sent.set()

    async def start(self) -> None:
        if self._app_token is not None:
            self._socket = AsyncSocketModeHandler(
                self.app, self._app_token.get_secret_value(), web_client=self.client
            )
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack: Socket Mode connected")

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        await self.session.close()

    async def elected(self) -> None:
        """Every replica serves Slack: it sends each event to one of them only."""

    async def deposed(self) -> None:
        """Nothing to hand over (see ``elected``)."""


def _network_reason(error: Exception) -> str:
    """Connection refused, name not found...: what the operator can act on."""
    cause = getattr(error, "os_error", None) or error  # aiohttp's connector error wraps it
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, socket.gaierror):
        return "host not found"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return type(error).__name__


def _reparse_form(request: AsyncBoltRequest) -> None:
    """bolt reads any form body containing the word "payload" as an interactive
    ``payload=`` body, so `/incident draft The payload service is down` would vanish.
    Re-read such a body as the plain form it is; the signature is still checked
    against the raw body, which is untouched."""
    raw = request.raw_body
    if raw.startswith("{") or "payload" not in raw:
        return
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" not in fields:
        request.body = fields
        request.context = build_async_context(AsyncBoltContext({}), fields)
