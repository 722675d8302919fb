"""Only approved words reach the public, through signed Slack requests: people without
a role are refused (ephemerally, and on the timeline) when they grant themselves a role,
edit a draft or vote; a vote on a superseded revision does not count; a bare approve
right after someone else's edit is refused with the exact `S<n>r<N>` to use; and the
hub keeps saying what the public was last told until the resolution is approved."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlmodel import select

from storage import Incident, Statement
from tests.adapters.slack_bot import FEED, GENERAL, PUB1, PUB2, SlackBot, slack_bot
from tests.fakes.clock import FakeClock

# Distinctive wordings, so "never shown" checks cannot pass by accident.
INTRUDER = "Zanzibar-7 says all payments are fine and nothing is affected. Please ignore."
FIRST = (
    "Quillwort: card payments are failing for some customers. Please retry. "
    "Next update by 15:00 UTC."
)
SECOND = (
    "Marigold: card payments fail for about 5% of customers. Please retry. "
    "Next update by 15:00 UTC."
)
PUBLIC = (PUB1, PUB2)
ROLE_WORDS = {"anyone", "author", "commander", "comms", "approvers", "admin"}


def who_may(refusal: str, verb: str) -> set[str]:
    """Who an "Only … may `verb` on INC-1." refusal names, as role words (the exact
    wording is the renderer's business)."""
    found = re.search(rf"Only (.+?) may `{verb}` on INC-1\.", refusal)
    assert found, refusal
    return set(re.findall(r"[a-z]+", found.group(1).lower())) & ROLE_WORDS


async def command(bot: SlackBot, text: str, user: str, channel: str) -> dict[str, Any]:
    """Run a slash command; the body of the reply posted to its response_url."""
    before = len(bot.fake.responses)
    assert await bot.command(text, user=user, channel=channel) == 200
    response = await bot.fake.wait_for_response(before + 1)
    return response.body


async def join(bot: SlackBot, channel: str, user: str, role: str) -> None:
    """The commander (Alice) gives `user` a role, which invites them to the channel."""
    body = await command(bot, f"assign {role} <@{user}|{user.lower()}>", "UALICE", channel)
    assert f"is now {role}" in body["text"], body["text"]
    await bot.fake.wait_for(lambda: user in bot.fake.members(channel))


async def timeline(bot: SlackBot) -> list[tuple[str, str]]:
    async with bot.runtime.store.unit_of_work() as uow:
        return [(event.kind, event.text) for event in await uow.timeline.of_incident(1)]


async def statements(bot: SlackBot) -> dict[int, Statement]:
    async with bot.runtime.store.unit_of_work() as uow:
        rows = (await uow.session.exec(select(Statement))).all()
    return {row.number: row for row in rows}


def public_posts(bot: SlackBot) -> list[dict[str, Any]]:
    """Every chat.postMessage the bot made to a public channel."""
    return [c for c in bot.fake.calls_to("chat.postMessage") if c.get("channel") in PUBLIC]


def anywhere(bot: SlackBot, fragment: str) -> list[str]:
    """Every Web API call whose arguments mention `fragment` (posts, edits, ephemerals)."""
    return [c.method for c in bot.fake.calls if fragment in json.dumps(c.args)]


async def nothing_published(bot: SlackBot) -> None:
    await bot.settle()
    assert public_posts(bot) == []
    assert bot.fake.messages(PUB1) == [] and bot.fake.messages(PUB2) == []


async def wait_revision(bot: SlackBot, channel: str, statement: str, after: str) -> str:
    """The ts of the newest draft message of `statement` once it is not `after` (the
    revision posted by an edit) and is seeded with ✅ and ❌."""

    def posted() -> bool:
        try:
            ts = bot.draft_ts(channel, statement)
        except AssertionError:
            return False
        return ts != after and len(bot.fake.reactions(channel, ts)) >= 2

    await bot.fake.wait_for(posted)
    return bot.draft_ts(channel, statement)


async def test_someone_without_a_role_cannot_grant_edit_or_approve(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()  # Alice commands; Carol is just a member

        myself = await command(bot, "INC-1 assign comms <@UCAROL|carol>", "UCAROL", GENERAL)
        assert myself["response_type"] == "ephemeral"
        assert "Nobody grants themselves a role." in myself["text"]
        someone = await command(bot, "INC-1 assign comms <@UBOB|bob>", "UCAROL", GENERAL)
        assert someone["response_type"] == "ephemeral"
        assert who_may(someone["text"], "assign") == {"commander", "admin"}

        edit = await command(bot, f"INC-1 edit S1 {INTRUDER}", "UCAROL", GENERAL)
        assert edit["response_type"] == "ephemeral"
        assert who_may(edit["text"], "edit") == {"author", "commander", "comms", "admin"}
        assert "UALICE" in edit["text"], "the refusal says whom to ask"

        # Carol joins the (public) incident channel and reacts ✅ on the draft.
        bot.fake.workspace.channel(channel).members.add("UCAROL")
        s1 = bot.draft_ts(channel, "S1")
        assert await bot.react("UCAROL", channel, s1) == 200
        told = await bot.wait_ephemeral("UCAROL", "not counted")
        assert told["channel"] == channel and "you are not an approver" in told["text"]

        await nothing_published(bot)
        assert anywhere(bot, "Zanzibar") == [], "the intruder's words went out to Slack"
        assert [m for m in bot.fake.messages(GENERAL) if "Zanzibar" in m.get("text", "")] == []
        assert await bot.deliveries() == {}
        assert bot.fake.ephemerals[-1]["user"] == "UCAROL"
        s1_row = (await statements(bot))[1]
        assert (s1_row.revision, s1_row.state) == (1, "draft")
        assert "Zanzibar" not in s1_row.body
        events = await timeline(bot)
        assert [kind for kind, _ in events if kind == "refused"] == ["refused"] * 3
        refused = [line for kind, line in events if kind == "refused"]
        assert all("by UCAROL refused" in line for line in refused)
        assert ["`assign`" in line for line in refused] == [True, True, False]
        assert "`edit`" in refused[2]
        assert any(kind == "vote_ignored" and "UCAROL" in line for kind, line in events)
        async with bot.runtime.store.unit_of_work() as uow:
            held = {a.role: a.user_id for a in await uow.roles.current(1)}
        assert held == {"commander": "UALICE"}

        # The gate is not simply shut: the commander's ✅ publishes S1, as drafted.
        assert await bot.react("UALICE", channel, s1) == 200
        for public in PUBLIC:
            [post] = await bot.wait_posts(public, 1)
            assert "Zanzibar" not in post["text"]
        await bot.settle()
        assert len(public_posts(bot)) == 2


async def test_a_vote_on_a_superseded_revision_or_a_bare_approve_after_an_edit_does_not_count(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()  # Alice commands: she approves
        await join(bot, channel, "UBOB", "comms")
        # Carol (no role: anyone may draft) drafts S2; Bob (comms) rewords it.
        drafted = await command(bot, f"INC-1 draft {FIRST}", "UCAROL", GENERAL)
        assert "S2 drafted for INC-1" in drafted["text"]
        revision_1 = await bot.wait_draft(channel, "S2")
        edited = await command(bot, f"edit S2 {SECOND}", "UBOB", channel)
        assert "S2 is now at revision 2" in edited["text"]
        revision_2 = await wait_revision(bot, channel, "S2", after=revision_1)

        # Alice still has the revision-1 message in front of her and reacts ✅ on it.
        assert await bot.react("UALICE", channel, revision_1) == 200
        told = await bot.wait_ephemeral("UALICE", "not counted")
        assert "that was revision 1; S2 is now at revision 2" in told["text"]
        await nothing_published(bot)

        # A bare approve right after Bob's edit: refused, quoting the text, naming S2r2.
        bare = await command(bot, "approve S2", "UALICE", channel)
        assert bare["response_type"] == "ephemeral"
        assert "S2 was changed less than a minute ago" in bare["text"]
        assert "Marigold: card payments fail for about 5% of customers" in bare["text"]
        assert "Quillwort" not in bare["text"]
        assert "`/incident approve S2r2`" in bare["text"]
        await nothing_published(bot)

        # Still refused later: someone else changed the wording (revision > 1).
        clock.advance(minutes=2)
        later = await command(bot, "approve S2", "UALICE", channel)
        assert "S2 was last changed by UBOB" in later["text"]
        assert "`/incident approve S2r2`" in later["text"]
        await nothing_published(bot)
        assert (await statements(bot))[2].state == "draft"

        # Bob wrote revision 2: his own approval of it does not count.
        own = await command(bot, "approve S2r2", "UBOB", channel)
        assert "0 of 1 approvals" in own["text"], own["text"]
        await nothing_published(bot)

        approved = await command(bot, "approve S2r2", "UALICE", channel)
        assert "counted" in approved["text"].lower(), approved["text"]
        for public in PUBLIC:
            [post] = await bot.wait_posts(public, 1)
            assert "Marigold" in post["text"] and "Quillwort" not in post["text"]
        await bot.settle()
        assert len(public_posts(bot)) == 2, "published once per public channel"
        assert revision_2 != revision_1
        assert [m for m in bot.fake.messages(FEED) if "Quillwort" in m.get("text", "")] == []
        events = await timeline(bot)
        assert any(
            kind == "vote_ignored" and "UALICE" in line and "revision 1" in line
            for kind, line in events
        )
        assert any(
            kind == "vote_approve" and "revision 2" in line and "UALICE" in line
            for kind, line in events
        )


async def incidents_json(bot: SlackBot) -> dict[str, Any]:
    async with bot.http.get("/status/api/incidents.json") as response:
        assert response.status == 200
        document: dict[str, Any] = json.loads(await response.read())
    return document


async def test_the_hub_keeps_the_published_state_until_the_resolution_is_approved(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Slack harness serves the hub on the same HTTP server as /slack/events."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        assert await bot.react("UALICE", channel, bot.draft_ts(channel, "S1")) == 200
        for public in PUBLIC:
            await bot.wait_posts(public, 1)
        await bot.settle()
        await join(bot, channel, "UBOB", "comms")

        # Inside, the team moves on; the hub waits for a statement that says so.
        renamed = await command(bot, "rename Card payments declined", "UALICE", channel)
        assert "Card payments declined" in renamed["text"], renamed["text"]
        moved = await command(bot, "state identified", "UALICE", channel)
        assert "identified" in moved["text"], moved["text"]
        await bot.settle()
        [incident] = (await incidents_json(bot))["incidents"]
        assert (incident["title"], incident["state"]) == ("Payments failing", "investigating")

        clock.advance(minutes=5)
        resolved = await command(bot, "resolve Rolled back the bad deploy", "UALICE", channel)
        assert "resolved" in resolved["text"].lower(), resolved["text"]
        resolution = await bot.wait_draft(channel, "S2")
        await bot.settle()
        async with bot.runtime.store.unit_of_work() as uow:
            row = (await uow.session.exec(select(Incident))).one()
        assert row.state == "resolved", "inside, the incident is resolved..."

        [incident] = (await incidents_json(bot))["incidents"]  # ...the public was not told
        assert incident["state"] == "investigating"
        assert incident["resolved_at"] is None
        assert [s["ref"] for s in incident["statements"]] == ["S1"]
        async with bot.http.get("/status/feed.atom") as response:
            feed = (await response.read()).decode()
        assert "Rolled back the bad deploy" not in feed
        assert "resolved" not in feed.lower()
        assert len(public_posts(bot)) == 2
        for path in ("/status", "/status/incidents/1"):
            async with bot.http.get(path) as response:
                page = (await response.read()).decode()
            assert '<dd class="state">investigating</dd>' in page, path
            assert "Rolled back the bad deploy" not in page, path

        # Once the resolution is approved (by Bob: Alice wrote it), the hub says so.
        assert await bot.react("UBOB", channel, resolution) == 200
        for public in PUBLIC:
            await bot.wait_posts(public, 2)
        await bot.settle()
        [incident] = (await incidents_json(bot))["incidents"]
        assert incident["state"] == "resolved" and incident["resolved_at"] is not None
        assert incident["title"] == "Card payments declined"  # the resolution carried it
