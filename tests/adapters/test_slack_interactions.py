"""Modals, the App Home, and acks that do not wait for the work."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.adapters.slack_bot import GENERAL, SlackBot, open_modal_values, slack_bot
from tests.fakes.clock import FakeClock
from tests.fakes.slack_payloads import event_body

TEMPLATE = {"type": "static_select", "selected_option": {"value": "holding"}}
NO_TEXT = {"type": "plain_text_input", "value": None}


def block_ids(view: dict[str, Any]) -> list[str]:
    return [block["block_id"] for block in view["blocks"]]


def view_text(view: dict[str, Any]) -> str:
    """The mrkdwn body of a view (its sections)."""
    return "\n".join(
        block["text"]["text"] for block in view["blocks"] if block["type"] == "section"
    )


async def modal(bot: SlackBot, count: int) -> dict[str, Any]:
    """The `count`-th view opened, once views.open was called that often."""
    call = await bot.fake.wait_for_call("views.open", count)
    assert call["trigger_id"]
    view: dict[str, Any] = call["view"]
    return view


# -- the open modal ------------------------------------------------------------


async def test_open_without_text_opens_a_modal_whose_commander_is_used(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        assert await bot.command("", channel=GENERAL) == 200
        view = await modal(bot, 1)
        assert view["callback_id"] == "candor_open" and view["private_metadata"] == GENERAL
        assert block_ids(view) == ["title", "severity", "description", "commander"]
        assert {b["element"]["action_id"] for b in view["blocks"]} == {"value"}
        assert bot.fake.responses == [], "a modal, not a reply"

        values = open_modal_values(
            "Checkout errors", "sev1", "Card payments fail at the last step", commander="UBOB"
        )
        status, ack = await bot.view("candor_open", values, "UALICE", GENERAL)
        assert (status, ack) == (200, "")
        await bot.wait_ephemeral("UALICE", "Opened INC-1")

        channel = bot.incident_channel("inc-1-checkout-errors")
        await bot.wait_draft(channel, "S1")
        assert {"UALICE", "UBOB"} <= bot.fake.members(channel)
        [summary_ts] = bot.fake.pins(channel)
        [summary] = [m for m in bot.fake.messages(channel) if m["ts"] == summary_ts]
        assert "*Commander: *<@UBOB>" in summary["text"]
        assert (
            "SEV1" in summary["text"] and "Card payments fail at the last step" in summary["text"]
        )


async def test_an_open_modal_without_a_title_is_refused_in_the_modal(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        rows = await bot.rows()
        status, ack = await bot.view("candor_open", open_modal_values("   "), "UALICE", GENERAL)

        assert status == 200
        answer = json.loads(ack)
        assert answer["response_action"] == "errors"
        assert "title" in answer["errors"]["title"].lower()
        await bot.settle()
        assert bot.fake.calls_to("conversations.create") == []
        assert bot.fake.ephemerals == []
        assert await bot.rows() == rows


# -- the draft modal -------------------------------------------------------------


async def test_draft_without_text_in_an_incident_channel_offers_the_templates(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        assert await bot.command("draft", channel=channel) == 200
        view = await modal(bot, 1)
        assert view["callback_id"] == "candor_draft" and view["private_metadata"] == channel
        assert block_ids(view) == ["template", "text"]
        offered = [o["value"] for o in view["blocks"][0]["element"]["options"]]
        assert {"ack", "holding", "investigating", "identified", "monitoring", "resolved"} <= set(
            offered
        )

        nothing = {"template": {"value": {"type": "static_select"}}, "text": {"value": NO_TEXT}}
        status, ack = await bot.view("candor_draft", nothing, "UALICE", channel)
        assert status == 200 and json.loads(ack)["response_action"] == "errors"

        chosen = {"template": {"value": TEMPLATE}, "text": {"value": NO_TEXT}}
        status, ack = await bot.view("candor_draft", chosen, "UALICE", channel)
        assert (status, ack) == (200, "")
        await bot.wait_ephemeral("UALICE", "S2 drafted for INC-1")
        ts = await bot.wait_draft(channel, "S2")
        [draft] = [m for m in bot.fake.messages(channel) if m["ts"] == ts]
        assert "S2 · update draft for INC-1" in draft["text"]


async def test_draft_modal_for_a_named_incident_from_another_channel(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`/incident INC-1 draft` in #general: the modal remembers which incident."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        assert await bot.command("INC-1 draft", channel=GENERAL) == 200
        view = await modal(bot, 1)
        assert view["callback_id"] == "candor_draft"

        written = {
            "template": {"value": {"type": "static_select"}},
            "text": {"value": "Card payments work again for most people. Next update by 15:00."},
        }
        status, _ = await bot.view("candor_draft", written, "UALICE", view["private_metadata"])
        assert status == 200
        await bot.wait_ephemeral("UALICE", "S2 drafted for INC-1")
        ts = await bot.wait_draft(channel, "S2")
        [draft] = [m for m in bot.fake.messages(channel) if m["ts"] == ts]
        assert "Card payments work again for most people" in draft["text"]


# -- App Home --------------------------------------------------------------------------


def home_opened(user: str, tab: str = "home") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": "D0ALICE", "tab": tab}


async def test_app_home_lists_open_incidents_with_commander_and_overdue_flag(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        bot.fake.add_user("UALICE", "alice")
        await bot.open_incident("open Search is slow sev4", user="UBOB")  # first update in 30m
        await bot.open_incident("open Payments failing sev1")  # first update in 10m
        clock.advance(minutes=15)

        assert await bot.event(home_opened("UALICE", tab="messages")) == 200
        await bot.settle()
        assert bot.fake.calls_to("views.publish") == []

        assert await bot.event(home_opened("UALICE")) == 200
        call = await bot.fake.wait_for_call("views.publish")
        assert call["user_id"] == "UALICE"
        home = call["view"]
        assert home["type"] == "home"
        text = view_text(home)
        payments, search = text.splitlines()[:2]
        assert "*INC-2* SEV1" in payments and "Payments failing" in payments
        assert "commander <@UALICE>" in payments and "⚠️ update overdue" in payments
        assert "*INC-1* SEV4" in search and "commander <@UBOB>" in search
        assert "overdue" not in search
        assert "Open incidents (2)" in json.dumps(home)


# -- acks come first ---------------------------------------------------------------------


async def test_a_command_is_acked_while_slack_is_still_creating_the_channel(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        slow = bot.fake.hold("conversations.create")
        async with asyncio.timeout(2):  # far below Slack's 3 s, whatever the work takes
            assert await bot.command("open Payments failing sev1") == 200
        await bot.fake.wait_for_call("conversations.create")
        assert not bot.fake.responses, "the work is still waiting for Slack"

        slow.set()
        reply = await bot.fake.wait_for_response()
        assert "Opened INC-1" in reply.body["text"]


async def test_a_modal_and_an_event_are_acked_before_their_work_is_done(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        slow = bot.fake.hold("conversations.create")
        async with asyncio.timeout(2):
            status, ack = await bot.view(
                "candor_open", open_modal_values("Payments failing"), "UALICE", GENERAL
            )
        assert (status, ack) == (200, "")
        await bot.fake.wait_for_call("conversations.create")
        slow.set()
        channel = bot.incident_channel("inc-1-payments-failing")
        ts = await bot.wait_draft(channel, "S1")

        slow_post = bot.fake.hold("chat.postMessage")
        async with asyncio.timeout(2):
            assert await bot.react("UALICE", channel, ts) == 200
        slow_post.set()
        await bot.fake.wait_for(lambda: bot.said(channel, "S1 is public"))

        body = event_body(home_opened("UALICE"))
        async with asyncio.timeout(2):
            assert (await bot.post(body)).status == 200
