"""What reaches a public Slack channel: the approved words, escaped so they cannot ping
anyone, with the hub link, and tagged with the delivery id so that a retry after a
crash or a lost answer finds the earlier post instead of posting again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.adapters.slack_bot import PUB1, PUB2, SlackBot, slack_bot
from tests.fakes.clock import FakeClock

# What Slack puts in a slash command's text when someone types
# "@channel @here @everyone @someone @a-group payments & refunds <tag> https://evil…".
TYPED = (
    "<!channel> <!here> <!everyone> <@U123> <@U456|dana> <!subteam^S999> "
    "We are aware of an issue with payments &amp; refunds &lt;tag&gt;. Please retry. "
    "Next update by 15:00 UTC. <https://evil.example|click here>"
)
PING_TOKENS = ("<!", "<@", "<#", "<http")


def texts(message: dict[str, Any]) -> Iterator[str]:
    """Every string Slack would render from a message: text and all block text."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    yield message.get("text", "")
    yield from walk(message.get("blocks") or [])


async def report(bot: SlackBot, channel: str, statement: str = "S1") -> str:
    await bot.fake.wait_for(lambda: bot.said(channel, f"{statement} is public"))
    return bot.said(channel, f"{statement} is public")[0]


async def test_published_text_cannot_ping_and_carries_hub_link_and_delivery_id(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(
        database_url,
        clock,
        monkeypatch,
        approvers="slack:UBOB",
        public_url="https://status.example.com",
    ) as bot:
        channel = await bot.open_incident()
        assert await bot.command(f"draft {TYPED}", channel=channel) == 200
        draft_ts = await bot.wait_draft(channel, "S2")
        [draft] = [m for m in bot.fake.messages(channel) if m["ts"] == draft_ts]
        assert not [t for t in texts(draft) if any(p in t for p in PING_TOKENS)], draft

        assert await bot.react("UBOB", channel, draft_ts) == 200
        for public in (PUB1, PUB2):
            await bot.wait_posts(public, 1)
        await report(bot, channel, "S2")

        ids = {key: row.id for key, row in (await bot.deliveries()).items()}
        for public in (PUB1, PUB2):
            [post] = bot.fake.messages(public)
            rendered = list(texts(post))
            pinging = [t for t in rendered if any(p in t for p in PING_TOKENS)]
            assert pinging == [], f"a ping token reached #{public}: {pinging}"
            assert "&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; &lt;@U123&gt;" in post["text"]
            assert "payments &amp; refunds &lt;tag&gt;." in post["text"]  # escaped once
            assert "&amp;amp;" not in post["text"] and "&amp;lt;" not in post["text"]
            assert "https://status.example.com/status/incidents/1" in post["text"]
            assert post["metadata"] == {
                "event_type": "candor_delivery",
                "event_payload": {"delivery_id": ids[f"slack:{public}"]},
            }
            assert post["unfurl_links"] is False and post["unfurl_media"] is False

        async with bot.runtime.store.unit_of_work() as uow:
            [statement] = [s for s in await uow.statements.of_incident(1) if s.number == 2]
        assert statement.body.startswith("<!channel>")  # kept as written, escaped on the way out
        assert "payments & refunds <tag>." in statement.body


async def test_a_crash_after_slack_accepted_the_post_never_posts_twice(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack stored the post; the process died before recording it. The restarted
    process finds the post by its metadata instead of posting again."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        dying = bot.fake.hold("chat.postMessage", channel=PUB1)  # the answer never arrives

        await bot.react("UALICE", channel, bot.draft_ts(channel, "S1"))
        [posted] = await bot.wait_posts(PUB1, 1)
        in_flight = (await bot.deliveries())[f"slack:{PUB1}"]
        assert (in_flight.state, in_flight.attempts) == ("sending", 1)

        clock.advance(minutes=3)  # the restart comes later than the stale-claim limit
        await bot.runtime.desk.start()
        await bot.runtime.desk.settle()
        await report(bot, channel)

        assert bot.fake.messages(PUB1) == [posted]
        assert len(bot.fake.messages(PUB2)) == 1
        recovered = (await bot.deliveries())[f"slack:{PUB1}"]
        assert (recovered.state, recovered.attempts) == ("sent", 2)
        assert recovered.external_id == posted["ts"]
        # It looked the post up in PUB1 (PUB2's delivery may have been re-queued too, when
        # the restart came before its record was written: it is then looked up as well).
        assert PUB1 in {call["channel"] for call in bot.fake.calls_to("conversations.history")}

        dying.set()  # the old attempt finally hears back: still one post
        await bot.settle()
        assert bot.fake.messages(PUB1) == [posted]
        assert len(bot.said(channel, "S1 is public")) == 1


async def test_an_answer_lost_after_slack_posted_is_not_posted_again(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack's edge answers 503 although the message was posted: a blind retry would
    post it twice. The outbox retries later, after looking at the channel."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        bot.fake.server_error("chat.postMessage", status=503, channel=PUB1, processed=True)

        await bot.react("UALICE", channel, bot.draft_ts(channel, "S1"))
        await bot.wait_posts(PUB2, 1)
        await bot.settle()
        assert len(bot.fake.messages(PUB1)) == 1, "posted once, answer lost"
        pending = (await bot.deliveries())[f"slack:{PUB1}"]
        assert pending.state == "pending", pending.last_error

        clock.advance(minutes=1)
        await bot.runtime.desk.settle()
        text = await report(bot, channel)

        assert "did not reach" not in text
        assert len(bot.fake.messages(PUB1)) == len(bot.fake.messages(PUB2)) == 1
        recovered = (await bot.deliveries())[f"slack:{PUB1}"]
        assert recovered.state == "sent"
        assert recovered.external_id == bot.fake.messages(PUB1)[0]["ts"]


async def test_a_retry_that_cannot_check_the_channel_fails_loudly_rather_than_post_twice(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chat:write.public reaches a public channel the bot is not in, but only members can
    read its history: the retry cannot look for an earlier post, so it says so."""
    async with slack_bot(
        database_url, clock, monkeypatch, public_destinations="slack:CSTATUS"
    ) as bot:
        bot.fake.add_channel("CSTATUS", "status-public", bot_is_member=False)
        channel = await bot.open_incident()
        bot.fake.server_error("chat.postMessage", status=503, channel="CSTATUS", processed=True)

        await bot.react("UALICE", channel, bot.draft_ts(channel, "S1"))
        await bot.fake.wait_for(lambda: bot.fake.messages("CSTATUS"))
        await bot.settle()
        clock.advance(minutes=1)
        await bot.runtime.desk.settle()
        await bot.fake.wait_for(lambda: bot.said(channel, "S1 did not reach"))

        assert len(bot.fake.messages("CSTATUS")) == 1
        [told] = bot.said(channel, "S1 did not reach")
        assert "the bot cannot read the channel to check (invite the bot to it" in told
        failed = (await bot.deliveries())["slack:CSTATUS"]
        assert (failed.state, failed.attempts) == ("failed", 2)
