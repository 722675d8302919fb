"""Corrections on Slack: once approved, the original public post is edited in place
(chat.update) to carry a visible "Corrected" note above its unchanged words, and the
correction is posted once, even when Slack's answers get lost and the outbox retries."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from storage import Delivery, Statement
from tests.adapters.slack_bot import PUB1, PUB2, SlackBot, slack_bot
from tests.fakes.clock import FakeClock

FIX = "Only card payments were affected; bank transfers worked throughout. Next update by 13:00."


def header(message: dict[str, Any]) -> str:
    block = next(b for b in message.get("blocks") or [] if b["type"] == "header")
    return str(block["text"]["text"])


async def publish_ack(bot: SlackBot) -> str:
    """INC-1's S1 public in both channels; UBOB is comms (an approver)."""
    channel = await bot.open_incident()
    await bot.react("UALICE", channel, bot.draft_ts(channel, "S1"))
    for public in (PUB1, PUB2):
        await bot.wait_posts(public, 1)
    await bot.fake.wait_for(lambda: bot.said(channel, "S1 is public"))
    assert await bot.command("assign comms <@UBOB>", channel=channel) == 200
    return channel


async def correction_rows(bot: SlackBot) -> dict[str, Delivery]:
    """The outbox rows of S2 (the correction), by destination key."""
    async with bot.runtime.store.unit_of_work() as uow:
        query = select(Delivery).join(Statement).where(Statement.number == 2)
        return {row.destination: row for row in (await uow.session.exec(query)).all()}


async def approve_correction(bot: SlackBot, channel: str) -> None:
    assert await bot.command(f"correct S1 {FIX}", channel=channel) == 200
    draft_ts = await bot.wait_draft(channel, "S2")
    assert await bot.react("UBOB", channel, draft_ts) == 200


async def test_the_original_post_is_marked_corrected_and_the_correction_posted_once(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await publish_ack(bot)
        originals = {public: dict(bot.fake.messages(public)[0]) for public in (PUB1, PUB2)}
        clock.advance(minutes=5)
        await approve_correction(bot, channel)
        await bot.fake.wait_for(lambda: bot.said(channel, "S2 is public"))

        ids = {key: row.id for key, row in (await correction_rows(bot)).items()}
        [report] = bot.said(channel, "S2 is public")
        for public in (PUB1, PUB2):
            original, correction = bot.fake.messages(public)
            before = originals[public]
            assert original["ts"] == before["ts"] and "edited" in original
            assert header(original) == "Corrected · Investigating: Payments failing"
            assert "✏️ Corrected at 2026-11-21 12:05 UTC" in original["text"]
            body = before["text"].split("\n")[1]  # the published words, kept as they were
            assert body.startswith("We are aware") and body in original["text"]
            assert header(correction) == "Correction: Payments failing"
            assert "This corrects our statement of 2026-11-21 12:00 UTC." in correction["text"]
            assert "bank transfers worked throughout" in correction["text"]
            assert correction["metadata"]["event_payload"] == {
                "delivery_id": ids[f"slack:{public}"]
            }
            [edit] = [c for c in bot.fake.calls_to("chat.update") if c["channel"] == public]
            assert edit["ts"] == before["ts"]
        assert "S1 is marked corrected at status page, Slack <#CPUB1>, Slack <#CPUB2>." in (
            report.replace("*", "").replace("&lt;", "<").replace("&gt;", ">")
        )


async def test_lost_answers_are_retried_without_a_second_correction_post(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack posts the correction but the answer is lost; then it edits the original but
    that answer is lost too. The outbox finds the post by its metadata instead of posting
    again, and edits again, which leaves the same message."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await publish_ack(bot)
        [original] = bot.fake.messages(PUB1)
        bot.fake.server_error("chat.postMessage", status=503, channel=PUB1, processed=True)
        bot.fake.server_error("chat.update", status=503, channel=PUB1, processed=True)
        await approve_correction(bot, channel)
        await bot.wait_posts(PUB2, 2)
        await bot.settle()
        assert len(bot.fake.messages(PUB1)) == 2, "posted once, answer lost"
        assert (await correction_rows(bot))[f"slack:{PUB1}"].state == "pending"

        for _ in range(2):  # the retry that finds the post and edits, then the edit again
            clock.advance(minutes=2)
            await bot.runtime.desk.settle()
        await bot.fake.wait_for(lambda: bot.said(channel, "S2 is public"))

        edited, correction = bot.fake.messages(PUB1)
        assert edited["ts"] == original["ts"] and "✏️ Corrected" in edited["text"]
        assert "bank transfers worked throughout" in correction["text"]
        posts = [c for c in bot.fake.calls_to("chat.postMessage") if c["channel"] == PUB1]
        edits = [c for c in bot.fake.calls_to("chat.update") if c["channel"] == PUB1]
        assert len(posts) == 2  # S1, then S2 once
        assert len(edits) == 2 and edits[0]["blocks"] == edits[1]["blocks"]
        row = (await correction_rows(bot))[f"slack:{PUB1}"]
        assert (row.state, row.attempts, row.external_id) == ("sent", 3, correction["ts"])
        assert row.amended_at is not None
        [report] = bot.said(channel, "S2 is public")
        assert "did not reach" not in report and "could not be marked" not in report
