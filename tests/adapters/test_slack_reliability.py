"""Slack redelivers, rate-limits and refuses; none of it may duplicate or lose a public
statement. Redelivered events and double-submitted commands have no second effect, a
429 storm only delays, and a refusal is reported where the team looks."""

from __future__ import annotations

import asyncio

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
from tests.fakes.slack_payloads import reaction_event


async def published(bot: SlackBot, channel: str, statement: str = "S1") -> str:
    """Wait for the report of where a statement went (in the incident channel); its text."""

    def reports() -> list[str]:
        return [
            text
            for text in bot.said(channel, statement)
            if f"{statement} is public" in text or f"{statement} did not reach" in text
        ]

    await bot.fake.wait_for(reports)
    return "\n".join(reports())


# -- redelivery ----------------------------------------------------------------


async def test_a_redelivered_reaction_counts_once(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        ts = bot.draft_ts(channel, "S1")
        event = reaction_event("UALICE", channel, ts, "white_check_mark")

        assert await bot.event(event, "EvSAME") == 200
        assert await bot.event(event, "EvSAME", retry_num=1) == 200  # Slack's retry
        assert await bot.event(event, "EvSAME", retry_num=2) == 200
        for public in (PUB1, PUB2):
            await bot.wait_posts(public, 1)
        await published(bot, channel)
        await bot.settle()

        assert len(bot.fake.messages(PUB1)) == len(bot.fake.messages(PUB2)) == 1
        to_alice = [e for e in bot.fake.ephemerals if e["user"] == "UALICE"]
        assert [e["text"] for e in to_alice] == ["Your vote was counted."]
        assert (await bot.rows())["approvals"] == 1
        assert sorted(d for d in await bot.deliveries() if d.startswith("slack:")) == [
            f"slack:{PUB1}",
            f"slack:{PUB2}",
        ]
        assert len(bot.said(channel, "S1 approved")) == 1


async def test_a_double_submitted_command_opens_one_incident(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        body = bot.fake.slash_command_body(
            "open Payments failing sev2", "UALICE", GENERAL, trigger_id="13345224609.738474.xyz"
        )
        statuses = await asyncio.gather(bot.post(body), bot.post(body))  # a double click
        assert [r.status for r in statuses] == [200, 200]
        assert (await bot.post(body)).status == 200  # and once more, later

        await bot.fake.wait_for_response()
        await bot.settle()
        assert len(bot.fake.calls_to("conversations.create")) == 1
        assert len(bot.fake.responses) == 1 and "Opened INC-1" in bot.fake.responses[0].body["text"]
        assert len(bot.fake.messages(FEED)) == 1
        assert (await bot.rows())["incidents"] == 1


async def test_a_double_submitted_modal_opens_one_incident(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        values = open_modal_values("Payments failing")
        for _ in range(2):
            status, _ = await bot.view("candor_open", values, "UALICE", GENERAL, view_id="VSAME")
            assert status == 200
        await bot.wait_ephemeral("UALICE", "Opened INC-1")
        await bot.settle()
        assert len(bot.fake.calls_to("conversations.create")) == 1
        assert (await bot.rows())["incidents"] == 1


# -- rate limits -------------------------------------------------------------------


async def test_a_429_storm_delays_everything_and_loses_nothing(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each call meets up to five 429s (Retry-After: 0); the SDK retries, nothing is
    skipped and nothing is done twice."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        fake = bot.fake
        storm = {
            "conversations.create": 3,
            "conversations.setTopic": 2,
            "conversations.invite": 2,
            "chat.postMessage": 5,
            "pins.add": 2,
            "reactions.add": 3,
        }
        for method, times in storm.items():
            fake.rate_limit(method, times=times)

        channel = await bot.open_incident("open Payments failing sev2")
        await bot.wait_posts(FEED, 1)
        await fake.wait_for(lambda: bool(fake.pins(channel)))
        await bot.settle()
        assert [c["name"] for c in fake.calls_to("conversations.create")] == [
            "inc-1-payments-failing"
        ] * 4
        assert "UALICE" in fake.members(channel)
        assert len(fake.messages(FEED)) == 1
        assert len(fake.messages(channel)) == 2, "one summary and one draft, nothing twice"
        assert fake.channel(channel)["topic"]["value"].startswith("SEV2 · investigating")

        for method, times in {"chat.postMessage": 5, "chat.update": 3}.items():
            fake.rate_limit(method, times=times)
        assert await bot.react("UALICE", channel, bot.draft_ts(channel, "S1")) == 200
        report = await published(bot, channel)
        await bot.settle()

        assert "did not reach" not in report
        for public in (PUB1, PUB2):
            [post] = fake.messages(public)
            assert "We are aware of an issue affecting Payments failing" in post["text"]
        throttled = [c for c in fake.calls if c.status == 429]
        assert len(throttled) == sum(storm.values()) + 8, "every 429 was met and retried"


async def test_rate_limits_past_the_sdk_retries_are_retried_by_the_outbox(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        bot.fake.rate_limit("chat.postMessage", times=6, channel=PUB1)  # 1 try + 5 retries

        await bot.react("UALICE", channel, bot.draft_ts(channel, "S1"))
        await bot.wait_posts(PUB2, 1)
        await bot.settle()
        assert bot.fake.messages(PUB1) == []
        assert not bot.said(channel, "S1 is public"), "not reported while a delivery is pending"
        first = (await bot.deliveries())[f"slack:{PUB1}"]
        assert (first.state, first.attempts) == ("pending", 1)
        assert first.last_error is not None and "ratelimited" in first.last_error

        clock.advance(minutes=1)  # past the outbox's backoff
        await bot.runtime.desk.settle()
        report = await published(bot, channel)

        assert len(bot.fake.messages(PUB1)) == len(bot.fake.messages(PUB2)) == 1
        assert "did not reach" not in report
        assert f"&lt;#{PUB1}&gt;" in report and f"&lt;#{PUB2}&gt;" in report
        delivered = await bot.deliveries()
        assert {d.state for d in delivered.values()} == {"sent"}  # the hub's too
        assert delivered[f"slack:{PUB1}"].attempts == 2


# -- refusals --------------------------------------------------------------------------

REFUSALS = {
    # case: (destination channel, how it is set up, words the team reads)
    "channel_not_found": ("CGONE", None, "the channel does not exist or the bot cannot see it"),
    "is_archived": ("COLD", "archived", "the channel is archived"),
    "not_in_channel": ("CPRIVATE", "private", "the bot is not in that channel"),
    "missing_scope": ("CSCOPE", "missing_scope", "the Slack app lacks a permission"),
}


@pytest.mark.parametrize("code", list(REFUSALS))
async def test_a_refusing_public_channel_is_reported_never_silent(
    code: str, database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, setup, reason = REFUSALS[code]
    destinations = f"slack:{PUB1},slack:{target}"
    async with slack_bot(database_url, clock, monkeypatch, public_destinations=destinations) as bot:
        fake = bot.fake
        if setup == "archived":
            fake.add_channel(target, "old-status", is_archived=True)
        elif setup == "private":
            fake.add_channel(target, "leadership", is_private=True, bot_is_member=False)
        elif setup == "missing_scope":
            fake.add_channel(target, "status-eu")
            fake.fail("chat.postMessage", "missing_scope", channel=target)
        channel = await bot.open_incident()

        await bot.react("UALICE", channel, bot.draft_ts(channel, "S1"))
        report = await published(bot, channel)

        assert "S1 is public" in report, "the other channel still got it"
        assert len(fake.messages(PUB1)) == 1
        assert f"S1 did not reach Slack &lt;#{target}&gt;*: {reason}" in report
        assert f"[{code}] (after 1 attempt" in report
        failed = (await bot.deliveries())[f"slack:{target}"]
        assert (failed.state, failed.attempts) == ("failed", 1)

        assert await bot.command("status", channel=channel) == 200
        status = (await fake.wait_for_response(2)).body
        assert status["response_type"] == "ephemeral"
        [line] = [line for line in status["text"].splitlines() if line.startswith("❗ S1")]
        assert target in line and f"failed: {reason}" in line and f"[{code}]" in line
