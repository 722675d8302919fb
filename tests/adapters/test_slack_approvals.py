"""Approving by reaction in Slack: who counts, who is told why not, withdrawing a vote,
approvers as a Slack user group, and the bot's own seeded ✅ / ❌ never counting."""

from __future__ import annotations

import pytest

from tests.adapters.slack_bot import PUB1, PUB2, SlackBot, slack_bot
from tests.fakes.clock import FakeClock
from tests.fakes.slack_payloads import BOT_USER_ID, reaction_event

UPDATE = "We are aware of an issue with card payments. Please retry. Next update by 15:00 UTC."


async def nothing_published(bot: SlackBot) -> None:
    await bot.settle()
    assert bot.fake.messages(PUB1) == [] and bot.fake.messages(PUB2) == []


async def join(bot: SlackBot, channel: str, user: str, role: str) -> None:
    """Give `user` a role in the incident (which also invites them to its channel)."""
    assert await bot.command(f"assign {role} <@{user}|{user.lower()}>", channel=channel) == 200
    await bot.fake.wait_for(lambda: user in bot.fake.members(channel))


async def timeline(bot: SlackBot) -> list[str]:
    async with bot.runtime.store.unit_of_work() as uow:
        return [event.text for event in await uow.timeline.of_incident(1)]


async def test_an_unauthorized_approval_publishes_nothing_and_says_why(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()  # Alice commands: she may approve
        await join(bot, channel, "UCAROL", "scribe")  # Carol may not
        ts = bot.draft_ts(channel, "S1")

        assert await bot.react("UCAROL", channel, ts) == 200
        told = await bot.wait_ephemeral("UCAROL", "not counted")
        assert told["channel"] == channel
        assert (
            "you are not an approver (approvers: role:commander, role:comms, role:approver)"
            in told["text"]
        )
        await nothing_published(bot)

        assert await bot.react("UALICE", channel, ts) == 200
        for public in (PUB1, PUB2):
            await bot.wait_posts(public, 1)


async def test_the_authors_own_vote_does_not_count(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        assert await bot.command(f"draft {UPDATE}", channel=channel) == 200
        ts = await bot.wait_draft(channel, "S2")

        assert await bot.react("UALICE", channel, ts) == 200
        told = await bot.wait_ephemeral("UALICE", "Vote recorded on S2")
        assert "0 of 1 approvals (the author's own vote does not count)" in told["text"]
        await nothing_published(bot)


async def test_approvers_as_a_slack_user_group(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch, approvers="slack:group:S1") as bot:
        bot.fake.usergroups = {"S1": ["UBOB"], "S2": ["UCAROL"]}
        channel = await bot.open_incident()
        await join(bot, channel, "UBOB", "comms")
        await join(bot, channel, "UCAROL", "scribe")
        ts = bot.draft_ts(channel, "S1")

        await bot.react("UCAROL", channel, ts)
        told = await bot.wait_ephemeral("UCAROL", "not counted")
        assert "approvers: slack:group:S1" in told["text"]
        await nothing_published(bot)

        await bot.react("UBOB", channel, ts)
        for public in (PUB1, PUB2):
            await bot.wait_posts(public, 1)
        assert bot.said(channel, "S1 approved") and "<@UBOB>" in bot.said(channel, "S1 approved")[0]
        # Both votes were checked against one lookup of the group (cached briefly).
        assert bot.fake.calls_to("usergroups.users.list") == [{"usergroup": "S1"}]


async def test_removing_the_reaction_withdraws_the_vote(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(
        database_url,
        clock,
        monkeypatch,
        approvers="slack:UBOB,slack:UCAROL",
        approvals_required="sev2:2",
    ) as bot:
        channel = await bot.open_incident()
        await join(bot, channel, "UBOB", "comms")
        await join(bot, channel, "UCAROL", "scribe")
        assert await bot.command(f"draft {UPDATE}", channel=channel) == 200
        ts = await bot.wait_draft(channel, "S2")

        await bot.react("UBOB", channel, ts)
        await bot.wait_ephemeral("UBOB", "Vote recorded on S2: 1 of 2 approvals")
        await bot.react("UBOB", channel, ts, added=False)
        await bot.wait_ephemeral("UBOB", "Your approve of S2 was withdrawn")
        await bot.react("UCAROL", channel, ts)
        await bot.wait_ephemeral("UCAROL", "Vote recorded on S2: 1 of 2 approvals")
        await nothing_published(bot)

        await bot.react("UBOB", channel, ts)  # Bob changes his mind again
        for public in (PUB1, PUB2):
            [post] = await bot.wait_posts(public, 1)
            assert UPDATE.replace("<", "&lt;") in post["text"]


async def test_the_bots_own_seeded_reactions_never_count(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack sends reaction_added for the ✅ and ❌ the bot seeds on each draft."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        ts = bot.draft_ts(channel, "S1")
        assert set(bot.fake.reactions(channel, ts)) == {"white_check_mark", "x"}
        before = await timeline(bot)

        for emoji in ("x", "white_check_mark"):
            assert await bot.event(reaction_event(BOT_USER_ID, channel, ts, emoji)) == 200
        await nothing_published(bot)
        assert await timeline(bot) == before, "the bot's reactions are not even votes"
        assert [e for e in bot.fake.ephemerals if e["user"] == BOT_USER_ID] == []

        await bot.react("UALICE", channel, ts)  # the bot's ❌ did not veto it
        for public in (PUB1, PUB2):
            await bot.wait_posts(public, 1)
