"""The database goes away mid-run (every connection reset, new ones refused, as in a
restart or a network cut) while a statement is fanning out, and task reminders come
due while it is away. The leader steps down at once; when the database is back the
replicas reconnect by themselves, one leads again, and nothing is lost or repeated."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.fakes.webhooks import Answer, running_receivers
from tests.fault.cluster import (
    PG_URL,
    PUB1,
    PUB2,
    Cluster,
    cluster,
    fresh_database,
    slack_world,
    until,
)
from tests.fault.proxy import cuttable_proxy

pytestmark = pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")

FAST, HELD = "/fast", "/held"
TASKS = 3
DESTINATIONS = 1 + 2 + 2  # the hub, two Slack channels, two webhooks
DUE_IN = [5.0, 6.0, 7.0]


async def test_the_bot_rides_out_a_database_restart_and_loses_nothing(tmp_path: Path) -> None:
    hold = asyncio.Event()
    async with fresh_database() as url:
        direct = make_url(url)
        async with (
            cuttable_proxy(direct.host or "127.0.0.1", direct.port or 5432) as proxy,
            slack_world() as fake,
            running_receivers() as receivers,
            cluster(
                fake,
                receivers,
                url,
                tmp_path,
                (FAST, HELD),
                replica_database_url=direct.set(host="127.0.0.1", port=proxy.port).render_as_string(
                    hide_password=False
                ),
            ) as replicas,
        ):
            receivers.script(HELD, Answer(200, hold=hold))  # stored; the answer is held
            first = await replicas.spawn("alpha")
            second = await replicas.spawn("beta")
            assert await replicas.leader() is first

            channel = await replicas.open_incident(second, "Checkout down")
            started = datetime.now(UTC)
            await replicas.add_tasks(second, channel, due_in=DUE_IN)
            draft = replicas.draft_ts(channel, "S1")
            assert draft is not None
            await replicas.react(second, channel, draft)
            await receivers.wait_until(lambda: receivers.arrived(HELD) == 1, 20)

            await proxy.cut()  # the database is gone
            await until(_all_unhealthy(replicas), 10, "both replicas see the database gone")
            await first.process.wait_for(r"alpha no longer leads \(lock connection lost", 10)
            hold.set()  # the send completes; the sender cannot record it
            last_due = started + timedelta(seconds=max(DUE_IN) + 1)
            await until(_past(last_due), 15, "the reminders came due while it was away")
            await proxy.restore()
            back = time.monotonic()

            await replicas.leader(limit=10)
            assert time.monotonic() - back < 10
            await until(lambda: replicas.all_sent(DESTINATIONS), 25, "all sent", replicas.explain)
            await replicas.each_task_reminded_once(channel, TASKS)
            assert len(fake.messages(PUB1)) == 1
            assert len(fake.messages(PUB2)) == 1
            for path in (FAST, HELD):
                assert all(hit.verified for hit in receivers.hits_to(path)), path
                assert len(receivers.accepted[path]) == 1, path
            for replica in (first, second):
                assert await replica.health() is not None  # reconnected by itself
                assert "Traceback" not in replica.process.output, replica.process.output


def _all_unhealthy(replicas: Cluster) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all([await r.health() is None for r in replicas.replicas])

    return check


def _past(moment: datetime) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return datetime.now(UTC) >= moment

    return check
