"""The JSON API validates against the schema we ship, and says only what the pages say."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import NEVER_PUBLIC, HubBot, hub_bot

SCHEMA: dict[str, Any] = json.loads(
    resources.files("bot.hub").joinpath("incidents.schema.json").read_text()
)


def valid(document: Any) -> Any:
    Draft202012Validator.check_schema(SCHEMA)
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [error.message for error in validator.iter_errors(document)]
    assert errors == [], errors
    return document


async def _json(bot: HubBot, path: str, status: int = 200) -> Any:
    page = await bot.get(path)
    assert page.status == status, path
    assert page.headers["Content-Type"] == "application/json; charset=utf-8"
    return valid(json.loads(page.body))


async def test_incidents_json_validates_and_lists_published_statements(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        assert await _json(bot, "/status/api/incidents.json") == {"incidents": []}
        await bot.open("alice", "Checkout down", "sev1")
        await bot.publish("S1")
        await bot.say("alice", "/incident draft Not public yet")
        clock.advance(minutes=5)
        await bot.open("alice", "Search is slow", "sev3")
        await bot.publish("S1")
        await bot.say("alice", "/incident resolve")
        await bot.say("alice", "/incident assign comms @u200")
        await bot.publish("S2", approver="bruno")

        listing = await _json(bot, "/status/api/incidents.json")
        one = await _json(bot, "/status/api/incidents/1.json")
        missing = await _json(bot, "/status/api/incidents/7.json", status=404)
        schema = await bot.get("/status/api/incidents.schema.json")

    checkout, search = listing["incidents"]  # open first, then recently resolved
    assert checkout == one["incident"]
    assert checkout["ref"] == "INC-1" and checkout["severity"] == "sev1"
    assert checkout["state"] == "investigating" and checkout["resolved_at"] is None
    assert checkout["url"] == f"{bot.base_url}/status/incidents/1"
    assert checkout["last_update_at"] == "2026-11-21T12:00:00Z"
    assert checkout["next_update_due_at"] is not None
    [ack] = checkout["statements"]
    assert ack["ref"] == "S1" and ack["kind"] == "ack" and ack["signer"] == "Alice Quillfeather"
    assert ack["url"] == f"{bot.base_url}/status/incidents/1#s1"

    assert search["state"] == "resolved" and search["next_update_due_at"] is None
    assert search["resolved_at"] == "2026-11-21T12:05:00Z"
    assert [s["ref"] for s in search["statements"]] == ["S2", "S1"]  # newest first
    assert missing == {"error": "There is no public incident with this id."}
    assert json.loads(schema.body) == SCHEMA

    text = json.dumps(listing)
    assert "Not public yet" not in text
    assert not any(secret in text for secret in NEVER_PUBLIC)
