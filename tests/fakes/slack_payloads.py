"""What Slack sends to an app: v0 request signatures and the bodies of slash commands,
Events API callbacks and view submissions, shaped field for field like the real thing.

Each kind comes twice: `*_payload()` gives the dict (what a Socket Mode envelope
carries) and `*_body()` gives the HTTP body string (what `POST /slack/events` gets).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

TEAM_ID = "T1"
TEAM_DOMAIN = "candor-test"
TEAM_NAME = "Candor Test"
APP_ID = "A1"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
VERIFICATION_TOKEN = "legacy-verification-token"
# Nobody listens on the discard port: respond() to it fails fast instead of reaching
# the internet. FakeSlack's own builders point response_url at the fake instead.
UNROUTED_RESPONSE_URL = "http://127.0.0.1:9/response/unrouted"

_serial = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}{next(_serial):08d}"


def new_trigger_id() -> str:
    n = next(_serial)
    return f"{n}.{1700000000 + n}.{hashlib.sha1(str(n).encode()).hexdigest()[:32]}"  # noqa: S324


class SlackSigner:
    """Signs request bodies the way Slack does (`v0:{timestamp}:{body}`, HMAC-SHA256)."""

    def __init__(self, signing_secret: str) -> None:
        self.signing_secret = signing_secret

    def signature(self, body: str, timestamp: int) -> str:
        base = f"v0:{timestamp}:{body}".encode()
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return f"v0={digest}"

    def headers(
        self,
        body: str,
        timestamp: int | None = None,
        *,
        content_type: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> dict[str, str]:
        """Headers for `body`; content type guessed from the body (JSON or form)."""
        ts = int(time.time()) if timestamp is None else timestamp
        if content_type is None:
            is_json = body.startswith("{")
            content_type = "application/json" if is_json else "application/x-www-form-urlencoded"
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": self.signature(body, ts),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return headers


def slash_command_payload(
    text: str,
    user_id: str,
    channel_id: str,
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    command: str = "/incident",
    response_url: str = UNROUTED_RESPONSE_URL,
    *,
    user_name: str | None = None,
    channel_name: str = "incidents",
) -> dict[str, str]:
    """The fields of a slash command, all strings, in the order Slack sends them."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def slash_command_body(*args: Any, **kwargs: Any) -> str:
    """Form-encoded slash command (same arguments as `slash_command_payload`)."""
    return urlencode(slash_command_payload(*args, **kwargs))


def event_payload(
    event: dict[str, Any],
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    *,
    bot_user_id: str = BOT_USER_ID,
    event_time: int | None = None,
) -> dict[str, Any]:
    """An Events API `event_callback` wrapping `event`."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or _next_id("Ev"),
        "event_time": event_time or int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{_next_id('ctx')}",
    }


def event_body(*args: Any, **kwargs: Any) -> str:
    """JSON `event_callback` body (same arguments as `event_payload`)."""
    return json.dumps(event_payload(*args, **kwargs))


def reaction_event(
    user: str,
    channel: str,
    ts: str,
    reaction: str,
    added: bool = True,
    *,
    item_user: str = BOT_USER_ID,
) -> dict[str, Any]:
    """A `reaction_added` / `reaction_removed` event on a message."""
    return {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": f"{time.time():.6f}",
    }


def _state_values(values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Plain strings become plain_text_input states; dicts are taken as given."""
    return {
        block_id: {
            action_id: (
                {"type": "plain_text_input", "value": state} if isinstance(state, str) else state
            )
            for action_id, state in actions.items()
        }
        for block_id, actions in values.items()
    }


def view_submission_payload(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    user_id: str,
    private_metadata: str = "",
    *,
    team_id: str = TEAM_ID,
    view_id: str | None = None,
) -> dict[str, Any]:
    """A modal's `view_submission`. `values` is `{block_id: {action_id: state}}`,
    where a state is a Slack state dict or, for text inputs, just the string."""
    view_id = view_id or _next_id("V")
    team = {"id": team_id, "domain": TEAM_DOMAIN}
    user = {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}
    return {
        "type": "view_submission",
        "team": team,
        "user": user,
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": _state_values(values)},
            "hash": f"{int(time.time())}.{view_id.lower()}",
            "title": {"type": "plain_text", "text": "Incident", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission_body(*args: Any, **kwargs: Any) -> str:
    """Form-encoded `payload=<json>` (same arguments as `view_submission_payload`)."""
    return urlencode({"payload": json.dumps(view_submission_payload(*args, **kwargs))})


def block_actions_payload(
    view: dict[str, Any],
    action: dict[str, Any],
    user_id: str,
    values: dict[str, dict[str, Any]] | None = None,
    *,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """An element with `dispatch_action` changed inside an open modal: `view` is the
    view as Slack keeps it (views.open's answer), `action` the element's action
    (`action_id`, `block_id`, `type`, and e.g. `selected_option`)."""
    user = {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}
    shown = {**view, "state": {"values": _state_values(values or {})}}
    return {
        "type": "block_actions",
        "user": user,
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": shown,
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
    }


def block_actions_body(*args: Any, **kwargs: Any) -> str:
    """Form-encoded `payload=<json>` (same arguments as `block_actions_payload`)."""
    return urlencode({"payload": json.dumps(block_actions_payload(*args, **kwargs))})
