"""Two desks with their own connection pools — two replicas, as far as the database
can tell — run the same due work at the same moment: every reminder fires once and
every statement is published once. The claims are conditional UPDATEs, which
PostgreSQL re-checks once a concurrent writer commits (SQLite has one writer)."""

from __future__ import annotations

import asyncio
import re

from storage import Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import PUBLIC, Team

INCIDENTS, TASKS, APPROVED = 6, 3, 3


async def test_every_reminder_and_delivery_happens_once_however_many_replicas_race(
    database_url: str, clock: FakeClock
) -> None:
    first, second = Store(database_url), Store(database_url)
    chat = RecordingChat()  # one Slack for both replicas
    one, other = Team.build(first, clock, chat), Team.build(second, clock, chat)
    try:
        for number in range(1, INCIDENTS + 1):
            reply = await one.say("alice", f"/incident open Outage {number} sev3")
            assert not reply.is_error, reply.plain
            one.enter_latest("alice")
            for task in range(1, TASKS + 1):
                reply = await one.say("alice", f"/incident task @bob 30m Step {task}")
                assert not reply.is_error, reply.plain
            if number <= APPROVED:
                reply = await one.react("alice", "S1")
                assert reply is not None and not reply.is_error, reply and reply.plain
        clock.advance(minutes=31)  # every task is due now; the deliveries have waited

        await asyncio.gather(*(team.desk.settle() for team in (one, other, one, other)))

        texts = [s.text for s in chat.sent]
        due = [t for t in texts if re.search(r"task T\d “Step \d” is due now", t)]
        assert len(due) == INCIDENTS * TASKS
        assert len(set(due)) == TASKS  # (each incident says the same words in its channel)
        channels = [s.channel_id for s in chat.sent if s.text in due]
        assert len(set(channels)) == INCIDENTS
        public = [s.text for s in chat.in_channel(PUBLIC)]
        assert len(public) == APPROVED
        assert {re.findall(r"Outage \d", text)[0] for text in public} == {
            f"Outage {n}" for n in range(1, APPROVED + 1)
        }
    finally:
        await first.dispose()
        await second.dispose()
