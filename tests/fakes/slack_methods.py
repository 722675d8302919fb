"""Web API methods of the fake: one function per method, `(workspace, args, env) -> dict`
(the response without `ok`), raising `SlackError` for `ok: false`. `args` is the
merged query string and body, as sent: form values are strings, JSON keeps types."""

from __future__ import annotations

import base64
from typing import Any

from tests.fakes.slack_args import Method, MethodEnv, flag, message_fields
from tests.fakes.slack_payloads import BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_NAME
from tests.fakes.slack_views import views_open, views_publish, views_update
from tests.fakes.slack_workspace import Channel, SlackError, Workspace, public_message

MAX_TOPIC = 250


def _member_channel(ws: Workspace, args: dict[str, Any], *, public_ok: bool = False) -> Channel:
    channel = ws.channel(args.get("channel"))
    if channel.is_archived:
        raise SlackError("is_archived")
    if BOT_USER_ID not in channel.members and not (public_ok and not channel.is_private):
        raise SlackError("not_in_channel")
    return channel


# -- auth / apps -------------------------------------------------------------


def auth_test(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    return {
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_NAME,
        "user": "candor",
        "team_id": ws.team_id,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def apps_connections_open(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    if not env.token.startswith("xapp-"):
        raise SlackError("not_allowed_token_type")
    return {"url": env.socket_url()}


# -- conversations -------------------------------------------------------------


def conversations_create(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    name = str(args.get("name") or "")
    channel = ws.create_channel(name, is_private=bool(flag(args.get("is_private"))))
    return {"channel": channel.to_api()}


def conversations_invite(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    channel = _member_channel(ws, args)
    users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
    if not users:
        raise SlackError("no_user")
    if BOT_USER_ID in users:
        raise SlackError("cant_invite_self")
    new = [u for u in users if u not in channel.members]
    if not new:
        errors = [{"user": u, "ok": False, "error": "already_in_channel"} for u in users]
        raise SlackError("already_in_channel", errors=errors)
    channel.members.update(new)
    return {"channel": channel.to_api()}


def conversations_set_topic(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    channel = _member_channel(ws, args)
    topic = str(args.get("topic") or "")
    if len(topic) > MAX_TOPIC:
        raise SlackError("too_long")
    channel.topic = {"value": topic, "creator": BOT_USER_ID, "last_set": int(float(ws.next_ts()))}
    return {"channel": channel.to_api()}


def conversations_info(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    return {"channel": ws.channel(args.get("channel")).to_api()}


def conversations_join(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    if channel.is_private or channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("is_archived")
    if BOT_USER_ID in channel.members:
        warning = "already_in_channel"
        return {
            "channel": channel.to_api(),
            "warning": warning,
            "response_metadata": {"warnings": [warning]},
        }
    channel.members.add(BOT_USER_ID)
    return {"channel": channel.to_api()}


def _cursor_ts(cursor: str) -> str:
    digits = base64.b64decode(cursor).decode().removeprefix("next_ts:")
    return f"{digits[:-6]}.{digits[-6:]}"


def conversations_history(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    if BOT_USER_ID not in channel.members:
        raise SlackError("not_in_channel")
    limit = max(1, min(int(args.get("limit") or 100), 999))
    latest = _cursor_ts(str(args["cursor"])) if args.get("cursor") else args.get("latest")
    inclusive = bool(flag(args.get("inclusive"))) and not args.get("cursor")
    found = ws.history(channel, latest=latest, oldest=args.get("oldest"), inclusive=inclusive)
    page = found[:limit]
    with_metadata = bool(flag(args.get("include_all_metadata")))
    answer: dict[str, Any] = {
        "messages": [public_message(m, include_metadata=with_metadata) for m in page],
        "has_more": len(found) > limit,
        "pin_count": len(channel.pins),
        "channel_actions_ts": None,
        "channel_actions_count": 0,
    }
    if answer["has_more"]:
        cursor = base64.b64encode(f"next_ts:{page[-1]['ts'].replace('.', '')}".encode()).decode()
        answer["response_metadata"] = {"next_cursor": cursor}
    return answer


# -- chat ----------------------------------------------------------------------


def chat_post_message(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    channel = _member_channel(ws, args, public_ok=env.chat_write_public)
    message = ws.store_message(channel, message_fields(args), BOT_USER_ID)
    shown = public_message(message, include_metadata=True)
    return {"channel": channel.id, "ts": message["ts"], "message": shown}


def chat_update(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    message = channel.message(str(args.get("ts") or ""))
    if message.get("user") != BOT_USER_ID:
        raise SlackError("cant_update_message")
    # Fields left out keep their old value (Slack's documented chat.update behaviour).
    message.update(message_fields(args, require_content=False))
    message["edited"] = {"user": BOT_USER_ID, "ts": ws.next_ts()}
    shown = public_message(message, include_metadata=True)
    return {
        "channel": channel.id,
        "ts": message["ts"],
        "text": message.get("text", ""),
        "message": shown,
    }


def chat_post_ephemeral(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    channel = _member_channel(ws, args)
    user = str(args.get("user") or "")
    if user not in channel.members:
        raise SlackError("user_not_in_channel")
    ts = ws.next_ts()
    ws.ephemerals.append({"channel": channel.id, "user": user, "ts": ts, **message_fields(args)})
    return {"message_ts": ts}


# -- pins, reactions, people -----------------------------------------------------


def pins_add(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    channel = _member_channel(ws, args)
    ts = str(args.get("timestamp") or "")
    if not ts:
        raise SlackError("no_item_specified")
    message = channel.message(ts)
    if ts in channel.pins:
        raise SlackError("already_pinned")
    channel.pins.append(ts)
    message["pinned_to"] = [channel.id]
    return {}


def reactions_add(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    name = str(args.get("name") or "")
    if not name or ":" in name:
        raise SlackError("invalid_name")
    message = channel.message(str(args.get("timestamp") or ""))
    reactions = message.setdefault("reactions", [])
    reaction = next((r for r in reactions if r["name"] == name), None)
    if reaction is None:
        reaction = {"name": name, "users": [], "count": 0}
        reactions.append(reaction)
    if BOT_USER_ID in reaction["users"]:
        raise SlackError("already_reacted")
    reaction["users"].append(BOT_USER_ID)
    reaction["count"] += 1
    return {}


def usergroups_users_list(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    group = str(args.get("usergroup") or "")
    if group not in ws.usergroups:
        raise SlackError("no_such_subteam")
    return {"users": list(ws.usergroups[group])}


def users_info(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    user = ws.users.get(str(args.get("user") or ""))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user}


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "apps.connections.open": apps_connections_open,
    "conversations.create": conversations_create,
    "conversations.invite": conversations_invite,
    "conversations.setTopic": conversations_set_topic,
    "conversations.info": conversations_info,
    "conversations.join": conversations_join,
    "conversations.history": conversations_history,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.postEphemeral": chat_post_ephemeral,
    "pins.add": pins_add,
    "reactions.add": reactions_add,
    "usergroups.users.list": usergroups_users_list,
    "users.info": users_info,
    "views.open": views_open,
    "views.update": views_update,
    "views.publish": views_publish,
}
