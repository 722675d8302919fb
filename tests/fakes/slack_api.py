"""The HTTP face of the fake Web API: reads a request the way Slack does (query string,
form or JSON body, token in `Authorization: Bearer` or a form `token` field), applies
the token rules and injected faults, and answers with the method's JSON."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.slack_args import MethodEnv
from tests.fakes.slack_faults import Faults
from tests.fakes.slack_methods import METHODS
from tests.fakes.slack_workspace import SlackError, Workspace

BOT_SCOPES = (
    "channels:history,channels:join,channels:manage,channels:read,chat:write,commands,"
    "groups:history,groups:write,pins:write,reactions:read,reactions:write,"
    "usergroups:read,users:read"
)
TOKEN_PREFIXES = ("xoxb-", "xoxp-", "xapp-")


async def read_args(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Query string + body, and the token. JSON bodies must carry it in the header."""
    args: dict[str, Any] = dict(request.query)
    is_json = request.content_type == "application/json"
    if request.method == "POST" and request.body_exists:
        if is_json:
            body = await request.json()
            args.update(body if isinstance(body, dict) else {})
        else:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    header = request.headers.get("Authorization", "")
    token = args.pop("token", None)
    if header.startswith("Bearer "):
        return args, header.removeprefix("Bearer ").strip()
    return args, None if is_json else token


@dataclass
class WebApi:
    workspace: Workspace
    faults: Faults
    socket_url: Callable[[], str]
    chat_write_public: bool = False
    valid_tokens: set[str] | None = None  # None: any xoxb-/xoxp-/xapp- token

    def answer(self, method: str, args: dict[str, Any], token: str | None) -> web.Response:
        injected = self.faults.take(method, str(args.get("channel") or ""))
        if injected is not None and not injected.processed:
            return injected.response()
        handler = METHODS.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method", "req_method": method})
        try:
            self._check_token(method, token)
            if method == "chat.postMessage":
                throttled = self.faults.throttle(str(args.get("channel")))
                if throttled is not None:
                    return throttled
            env = MethodEnv(str(token), self.socket_url, self.chat_write_public)
            body = {"ok": True, **handler(self.workspace, args, env)}
        except SlackError as e:
            body = {"ok": False, "error": e.error, **e.extra}
        if injected is not None:  # done, but the caller never learns it
            return injected.response()
        headers = {"x-oauth-scopes": BOT_SCOPES, "x-accepted-oauth-scopes": ""}
        return web.json_response(body, headers=headers)

    def _check_token(self, method: str, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        known = self.valid_tokens is None or token in self.valid_tokens
        if not known or not token.startswith(TOKEN_PREFIXES):
            raise SlackError("invalid_auth")
        if token.startswith("xapp-") != (method == "apps.connections.open"):
            raise SlackError("not_allowed_token_type")
