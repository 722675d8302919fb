"""Two replicas on one PostgreSQL and a Slack that fails every third call (503, 429,
500 in turn; a failed post to a public channel was made anyway, only its answer was
lost). Every command, draft, reminder and publication still happens exactly once.

In one test process with an injected clock: the clock is moved past each retry's
backoff and the leader's desk is run, as its timer would."""

from __future__ import annotations

import asyncio
import re
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from slack_sdk.http_retry import builtin_async_handlers
from sqlmodel import col, select

from bot.app import Runtime, start
from storage import Reminder
from tests.adapters.slack_bot import FEED, GENERAL, PUB1, PUB2, SlackBot, serving, settings
from tests.conftest import PG_URL
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack, Fault

pytestmark = pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")

TASKS = 3


@asynccontextmanager
async def replica(
    fake: FakeSlack, url: str, clock: FakeClock, name: str
) -> AsyncIterator[SlackBot]:
    runtime = await start(settings(fake, url, replica_name=name), clock=clock)
    async with serving(fake, runtime, clock) as bot:
        yield bot


async def drive(leader: Runtime, clock: FakeClock, done: Callable[[], Awaitable[bool]]) -> None:
    """Past each backoff, the leader's turn (bounded)."""

    async def loop() -> None:
        while not await done():
            clock.advance(seconds=30)
            await leader.desk.settle()

    await asyncio.wait_for(loop(), 30)


async def test_a_slack_failing_every_third_call_still_gets_everything_exactly_once(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # slack_sdk sleeps Retry-After + random(); the fake says Retry-After 0: no jitter.
    monkeypatch.setattr(builtin_async_handlers, "random", types.SimpleNamespace(random=lambda: 0.0))
    async with FakeSlack(chat_write_public=True, timeout=20.0) as fake:
        for channel, name in ((GENERAL, "general"), (FEED, "incidents"), (PUB1, "status")):
            fake.add_channel(channel, name, members=("UALICE", "UBOB"))
        fake.add_channel(PUB2, "announcements", members=("UALICE", "UBOB"))
        async with (
            replica(fake, database_url, clock, "alpha") as leader,
            replica(fake, database_url, clock, "beta") as follower,
        ):
            fake.flaky(
                3,
                Fault(status=503),
                Fault(status=429, retry_after=0),
                Fault(status=500),
                processed_in=(PUB1, PUB2),
            )
            channel = await follower.open_incident("open Checkout down sev2")
            for number in range(1, TASKS + 1):
                before = len(fake.responses)
                line = f"task <@UBOB> 30m Step {number}"
                assert await follower.command(line, channel=channel) == 200
                response = await fake.wait_for_response(before + 1)
                assert f"T{number}" in response.body["text"], response.body["text"]
            draft = await follower.wait_draft(channel, "S1")
            assert await leader.react("UALICE", channel, draft) == 200

            async def published() -> bool:
                states = {d.state for d in (await leader.deliveries()).values()}
                return states == {"sent"}

            await drive(leader.runtime, clock, published)
            clock.advance(minutes=31)  # every task is due

            async def reminded() -> bool:  # no task rung due and not fired
                async with leader.runtime.store.reading() as uow:
                    query = select(Reminder).where(
                        Reminder.kind == "task", col(Reminder.fire_at) <= clock.now()
                    )
                    rungs = (await uow.session.exec(query)).all()
                return len(rungs) >= TASKS and all(r.fired_at for r in rungs)

            await drive(leader.runtime, clock, reminded)
            await leader.settle()
            await follower.settle()

            assert fake.flaky_failures >= 6  # the faults really happened
            names = [c.name for c in fake.workspace.channels.values()]
            assert len([n for n in names if n.startswith("inc-")]) == 1
            headers = [
                b["text"]["text"]
                for m in fake.messages(channel)
                for b in m.get("blocks") or []
                if b["type"] == "header"
            ]
            assert len([h for h in headers if h.startswith("S1 · ")]) == 1
            for number in range(1, TASKS + 1):
                due = rf"task T{number} “Step {number}” is due now"
                said = [t for t in follower.said(channel, "") if re.search(due, t)]
                assert len(said) == 1, number
            assert len(fake.messages(PUB1)) == 1
            assert len(fake.messages(PUB2)) == 1
            assert len(follower.said(FEED, "Checkout down")) == 1
