"""views.open / views.update / views.publish: stored by view id, answered with the full
view object Slack returns (id, hash, state, root_view_id ...)."""

from __future__ import annotations

from typing import Any

from tests.fakes.slack_args import MethodEnv, decoded
from tests.fakes.slack_payloads import APP_ID, BOT_ID
from tests.fakes.slack_workspace import SlackError, Workspace


def _view_arg(args: dict[str, Any], kind: str) -> dict[str, Any]:
    view = decoded(args.get("view"))
    if not isinstance(view, dict) or view.get("type") != kind:
        raise SlackError(
            "invalid_arguments", response_metadata={"messages": [f"view must be {kind}"]}
        )
    if kind == "modal" and not isinstance(view.get("title"), dict):
        raise SlackError("invalid_arguments", response_metadata={"messages": ["title is required"]})
    return view


def _store(ws: Workspace, view: dict[str, Any], view_id: str, **extra: Any) -> dict[str, Any]:
    stored = {
        "id": view_id,
        "team_id": ws.team_id,
        "type": view["type"],
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": ws.next_ts().replace(".", "") + ".fakehash",
        "title": view.get("title"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": ws.team_id,
        "bot_id": BOT_ID,
        **extra,
    }
    ws.views[view_id] = stored
    return stored


def views_open(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    if not args.get("trigger_id") and not args.get("interactivity_pointer"):
        raise SlackError("invalid_trigger_id")
    view = _view_arg(args, "modal")
    return {"view": _store(ws, view, ws.new_id("V"))}


def views_update(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    view_id = args.get("view_id")
    if not view_id and args.get("external_id"):
        wanted = args["external_id"]
        view_id = next((v["id"] for v in ws.views.values() if v["external_id"] == wanted), None)
    old = ws.views.get(str(view_id or ""))
    if old is None:
        raise SlackError("not_found")
    if args.get("hash") and args["hash"] != old["hash"]:
        raise SlackError("hash_conflict")
    view = _view_arg(args, old["type"])
    return {"view": _store(ws, view, old["id"], root_view_id=old["root_view_id"])}


def views_publish(ws: Workspace, args: dict[str, Any], env: MethodEnv) -> dict[str, Any]:
    user_id = str(args.get("user_id") or "")
    if user_id not in ws.users:
        raise SlackError("user_not_found")
    view = _view_arg(args, "home")
    home_id = ws.home_views.setdefault(user_id, ws.new_id("V"))
    return {"view": _store(ws, view, home_id)}
