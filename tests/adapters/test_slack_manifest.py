"""The Slack app manifest asks for exactly what the code uses: every Web API method the
adapter calls is covered by a scope, no scope is unused, and every event it listens to
is subscribed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

SLACK = Path(__file__).parents[2] / "bot" / "slack"

# Which bot scope each Web API method needs (api.slack.com method reference).
METHOD_SCOPES = {
    "auth.test": None,
    "conversations.create": "channels:manage",
    "conversations.invite": "channels:manage",
    "conversations.setTopic": "channels:manage",
    "conversations.history": "channels:history",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "pins.add": "pins:write",
    "reactions.add": "reactions:write",
    "usergroups.users.list": "usergroups:read",
    "views.open": None,
    "views.publish": None,
    "views.update": None,
}
# Scopes the code needs without calling a method: receiving events and posting publicly.
IMPLIED = {"commands", "reactions:read", "chat:write.public"}


def methods_called() -> set[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in SLACK.glob("*.py"))
    wrapped = re.findall(r"client\.([a-z]+_[A-Za-z_]+)\(", source)
    named = re.findall(r"_call\(\s*\"([a-zA-Z.]+)\"", source)
    return {m.replace("_", ".", 1) for m in wrapped} | set(named)


def manifest() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((SLACK / "manifest.yml").read_text(encoding="utf-8"))


def test_every_method_the_adapter_calls_is_known_and_covered() -> None:
    called = methods_called()
    assert called, "found no Web API calls: the scan is broken"
    unknown = called - METHOD_SCOPES.keys()
    assert not unknown, f"add these methods and their scopes to the table: {unknown}"
    needed = {METHOD_SCOPES[m] for m in called if METHOD_SCOPES[m]} | IMPLIED
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == needed, f"missing {needed - scopes}, unused {scopes - needed}"


def test_every_event_listened_to_is_subscribed_and_the_command_is_declared() -> None:
    source = (SLACK / "listeners.py").read_text(encoding="utf-8")
    listened = set(re.findall(r"@app\.event\(\"([a-z_]+)\"\)", source))
    settings = manifest()["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == listened
    assert settings["interactivity"]["is_enabled"] is True  # modals
    [command] = manifest()["features"]["slash_commands"]
    assert command["command"] == "/incident" and command["should_escape"] is True
