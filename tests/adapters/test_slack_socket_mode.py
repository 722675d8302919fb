"""The same loop over Socket Mode (SLACK_APP_TOKEN set): envelopes in over the
websocket, acks back on it, Web API calls out as usual; no public HTTP endpoint."""

from __future__ import annotations

import re

import pytest

from tests.adapters.slack_bot import (
    FEED,
    GENERAL,
    PUB1,
    PUB2,
    SlackBot,
    open_modal_values,
    slack_bot,
)
from tests.fakes.clock import FakeClock
from tests.fakes.slack_payloads import event_payload, reaction_event, view_submission_payload

APP_TOKEN = "xapp-1-A1-123-abc"


async def command(bot: SlackBot, text: str, user: str = "UALICE", channel: str = GENERAL) -> str:
    """A slash command over the socket; the text of the reply it earned."""
    before = len(bot.fake.responses)
    payload = bot.fake.slash_command_payload(text, user, channel)
    ack = await bot.fake.socket_push("slash_commands", payload)
    assert ack["envelope_id"]
    return str((await bot.fake.wait_for_response(before + 1)).body["text"])


async def test_open_approve_publish_over_socket_mode(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch, slack_app_token=APP_TOKEN) as bot:
        fake = bot.fake
        await fake.wait_socket_connected()
        assert fake.calls_to("apps.connections.open") == [{}]
        assert [c.token for c in fake.calls if c.method == "apps.connections.open"] == [APP_TOKEN]

        reply = await command(bot, "open Payments failing sev2")
        assert "Opened INC-1" in reply
        found = re.search(r"in #([a-z0-9-]+)\.", reply)
        assert found
        channel = bot.incident_channel(found.group(1))
        assert "UALICE" in fake.members(channel)
        assert fake.pins(channel)
        [announcement] = await bot.wait_posts(FEED, 1)
        assert "INC-1 · Payments failing" in announcement["text"]
        ts = await bot.wait_draft(channel, "S1")

        event = event_payload(reaction_event("UALICE", channel, ts, "white_check_mark"), "EvS1")
        await fake.socket_push("events_api", event)
        await fake.socket_push("events_api", event, retry_attempt=1, retry_reason="timeout")
        for public in (PUB1, PUB2):
            [post] = await bot.wait_posts(public, 1)
            assert "We are aware of an issue affecting Payments failing" in post["text"]
            assert post["metadata"]["event_type"] == "candor_delivery"
        await fake.wait_for(lambda: bot.said(channel, "S1 is public"))
        await bot.settle()
        assert len(fake.messages(PUB1)) == len(fake.messages(PUB2)) == 1
        assert (await bot.rows())["approvals"] == 1
        to_alice = [e["text"] for e in fake.ephemerals if e["user"] == "UALICE"]
        assert to_alice == ["Your vote was counted."], "the retried envelope had no effect"

        # Slack rotates connections; the bot reconnects and keeps working.
        await fake.socket_disconnect()
        assert "INC-1" in await command(bot, "status", channel=channel)

        # Socket Mode serves no Events API endpoint (nobody can post to it).
        body = fake.slash_command_body("open Sneaky sev1", "UALICE", GENERAL)
        assert (await bot.post(body)).status == 404


async def test_modal_submission_over_socket_mode_is_acked_on_the_socket(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch, slack_app_token=APP_TOKEN) as bot:
        fake = bot.fake
        await fake.wait_socket_connected()
        await fake.socket_push("slash_commands", fake.slash_command_payload("", "UALICE", GENERAL))
        view = (await fake.wait_for_call("views.open"))["view"]
        assert (view["callback_id"], view["private_metadata"]) == ("candor_open", GENERAL)

        empty = view_submission_payload("candor_open", open_modal_values(""), "UALICE", GENERAL)
        ack = await fake.socket_push("interactive", empty)
        assert ack["payload"]["response_action"] == "errors"
        assert "title" in ack["payload"]["errors"]

        good = view_submission_payload(
            "candor_open", open_modal_values("Search is slow", "sev3"), "UALICE", GENERAL
        )
        ack = await fake.socket_push("interactive", good)
        assert not ack.get("payload")
        await bot.wait_ephemeral("UALICE", "Opened INC-1")
        assert bot.incident_channel("inc-1-search-is-slow")
        assert len(fake.calls_to("conversations.create")) == 1
