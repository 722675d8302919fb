"""The whole loop through the Desk: open → approve the ack → published → reminded → resolved."""

from __future__ import annotations

from tests.team import FEED, PUBLIC, Team


async def test_open_approve_publish_remind_resolve(team: Team) -> None:
    reply = await team.open("alice", "/incident open Payments failing sev1")
    assert "INC-1" in reply.plain and "#inc-1-payments-failing" in reply.plain

    channel = team.where["alice"]
    assert team.chat.channels[channel]["name"] == "inc-1-payments-failing"
    assert any("INC-1 · Payments failing" in t for t in team.chat.texts(FEED))
    draft = team.chat.draft_message("S1")
    assert "We are aware of an issue affecting Payments failing" in draft.text

    await team.react("alice", "S1")
    await team.settle()
    [public] = team.public_posts()
    assert "We are aware of an issue affecting Payments failing" in public.text
    assert any("S1 is public" in t for t in team.chat.texts(channel))

    incident = await team.incident()
    assert incident.last_public_update_at == team.clock.now()

    await team.later(minutes=16)  # sev1 cadence 20 min: nudge 5 min before
    assert any("is due at" in t for t in team.chat.texts(channel))

    reply = await team.say("alice", "/incident resolve Rolled back the deploy")
    assert not reply.is_error
    assert (await team.incident()).state == "resolved"
    assert PUBLIC not in team.chat.texts(channel)
