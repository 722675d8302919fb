"""Only approved words reach the public, on the real discord.py against the fake Discord:
a member with no role cannot give themselves comms nor approve by reaction; the approve
subcommand autocompletes to the exact wording (`S2r1`), and a value gone stale after an
edit is refused with the command for the current one.

That every grammar verb (unassign, rename and reopen included) is a subcommand is
tests/adapters/test_discord_commands.py::test_every_verb_is_a_subcommand_with_typed_options.
"""

from __future__ import annotations

from typing import Any

from tests.adapters.discord_bot import (
    ALICE,
    BOB,
    GENERAL,
    GUILD,
    MALLORY,
    NEWS,
    STATUS,
    DiscordBot,
    discord_bot,
)
from tests.fakes.clock import FakeClock

EPHEMERAL = 1 << 6
POST = "POST /channels/{channel_id}/messages"
FIRST = (
    "Quillwort: card payments are failing for some customers. Please retry. "
    "Next update by 15:00 UTC."
)
SECOND = (
    "Marigold: card payments fail for about 5% of customers. Please retry. "
    "Next update by 15:00 UTC."
)


def ephemeral(ix: Any) -> bool:
    return bool(int(ix.followups[-1].get("flags") or 0) & EPHEMERAL)


def public_posts(bot: DiscordBot) -> list[Any]:
    """Every message the bot posted to a public channel (REST calls, not just results)."""
    return [
        call
        for call in bot.fake.calls_to(POST)
        if call.params["channel_id"] in (str(STATUS), str(NEWS))
    ]


async def roles(bot: DiscordBot) -> dict[str, str]:
    async with bot.runtime.store.reading() as uow:
        return {a.role: a.user_id for a in await uow.roles.current(1)}


async def timeline(bot: DiscordBot) -> list[tuple[str, str]]:
    async with bot.runtime.store.reading() as uow:
        return [(event.kind, event.text) for event in await uow.timeline.of_incident(1)]


async def offered(bot: DiscordBot, channel: int, user: int = BOB) -> list[str]:
    """The values the approve subcommand's statement option autocompletes to."""
    choices = await bot.fake.autocomplete(
        GUILD, channel, user, "incident", "approve", {"statement": ""}, focused="statement"
    )
    return [c["value"] for c in choices]


async def test_a_member_without_a_role_cannot_give_themselves_comms_or_approve(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()  # Alice commands; Mallory has no role at all
        said = len(bot.fake.messages(GENERAL)), len(bot.fake.messages(channel))

        myself = await bot.slash(
            "assign",
            {"role": "comms", "person": str(MALLORY), "incident": "INC-1"},
            user=MALLORY,
        )
        assert ephemeral(myself)
        assert "Nobody grants themselves a role." in bot.answer(myself)
        inside = await bot.slash(
            "assign", {"role": "comms", "person": str(MALLORY)}, user=MALLORY, channel=int(channel)
        )
        assert ephemeral(inside) and "Nobody grants themselves a role." in bot.answer(inside)
        someone = await bot.slash(
            "assign", {"role": "comms", "person": str(BOB), "incident": "INC-1"}, user=MALLORY
        )
        assert ephemeral(someone)
        assert "may `assign` on INC-1" in bot.answer(someone).replace("\\`", "`")
        assert await roles(bot) == {"commander": str(ALICE)}
        shown = len(bot.fake.messages(GENERAL)), len(bot.fake.messages(channel))
        assert shown == said, "refusals are shown to Mallory only"

        draft = await bot.wait_draft(channel, "S1")
        await bot.fake.react(channel, draft, MALLORY, "✅")
        await bot.fake.wait_for(lambda: bot.fake.dms(MALLORY))
        [told] = bot.fake.dms(MALLORY)[-1]["embeds"]
        assert "not counted" in told["description"]
        assert "not an approver" in told["description"]

        assert public_posts(bot) == []
        assert bot.fake.messages(STATUS) == [] and bot.fake.messages(NEWS) == []
        assert await bot.deliveries() == {}
        events = await timeline(bot)
        refused = [line for kind, line in events if kind == "refused"]
        # The same refusal twice (from #general and in the channel) is one counted line.
        assert len(refused) == 2 and all(f"by {MALLORY} refused" in line for line in refused)
        assert any("Nobody grants themselves a role. (×2" in line for line in refused)
        assert any(kind == "vote_ignored" and str(MALLORY) in line for kind, line in events)

        # The gate is not simply shut: Bob (the comms role on the server) approves.
        await bot.fake.react(channel, draft, BOB, "✅")
        await bot.wait_deliveries(f"discord:{STATUS}", f"discord:{NEWS}")
        assert len(public_posts(bot)) == 2


async def test_approve_autocompletes_the_exact_revision_and_a_stale_one_is_refused(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = int(await bot.open_incident())
        assert await offered(bot, channel) == ["S1r1"]

        ix = await bot.slash("approve", {"statement": "S1r1"}, user=BOB, channel=channel)
        assert "vote was counted" in bot.answer(ix).lower(), bot.answer(ix)
        await bot.wait_deliveries(f"discord:{STATUS}", f"discord:{NEWS}")
        assert len(bot.fake.messages(STATUS)) == 1 and len(bot.fake.messages(NEWS)) == 1
        assert len(public_posts(bot)) == 2

        await bot.slash("draft", {"text": FIRST}, user=ALICE, channel=channel)
        first = await bot.wait_draft(channel, "S2")
        assert await offered(bot, channel) == ["S2r1"]  # S1 is published: nothing to vote on
        edited = await bot.slash(
            "edit", {"statement": "S2", "text": SECOND}, user=ALICE, channel=channel
        )
        assert "revision 2" in bot.answer(edited)

        def reposted() -> bool:
            try:
                return bot.draft_id(channel, "S2") != first
            except AssertionError:
                return False

        await bot.fake.wait_for(reposted)
        assert await offered(bot, channel) == ["S2r2"]

        stale = await bot.slash("approve", {"statement": "S2r1"}, user=BOB, channel=channel)
        assert ephemeral(stale)
        answer = bot.answer(stale).replace("\\`", "`")
        assert "S2 is at revision 2, not 1" in answer
        assert "`/incident approve S2r2`" in answer
        assert len(public_posts(bot)) == 2, "the stale approval published nothing"

        ix = await bot.slash("approve", {"statement": "S2r2"}, user=BOB, channel=channel)
        assert "vote was counted" in bot.answer(ix).lower(), bot.answer(ix)
        await bot.fake.wait_for(lambda: len(public_posts(bot)) >= 4)
        await bot.wait_deliveries(f"discord:{STATUS}", f"discord:{NEWS}")
        for public in (STATUS, NEWS):
            _, second_post = bot.fake.messages(public)
            shown = second_post["embeds"][0]["description"]
            assert "Marigold" in shown and "Quillwort" not in shown
        assert len(public_posts(bot)) == 4, "S2 was published once per channel"
        assert await offered(bot, channel) == []
