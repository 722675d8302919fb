"""Two replicas on one PostgreSQL; the leader is killed (SIGKILL) while a statement is
fanning out and task reminders are coming due. The other replica takes over within
10 s, re-arms from the database, and in the end every reminder fired once and every
destination has the statement once — including the two the dead leader had reached
without living to record it (a held Slack answer, a held webhook answer)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.fakes.webhooks import Answer, running_receivers
from tests.fault.cluster import PG_URL, PUB1, PUB2, cluster, fresh_database, slack_world, until

pytestmark = pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")

FAST, HELD = "/fast", "/held"
TASKS = 3
DESTINATIONS = 1 + 2 + 2  # the hub, two Slack channels, two webhooks


async def test_killing_the_leader_mid_fan_out_loses_and_repeats_nothing(tmp_path: Path) -> None:
    hold = asyncio.Event()
    async with (
        fresh_database() as url,
        slack_world() as fake,
        running_receivers() as receivers,
        cluster(fake, receivers, url, tmp_path, (FAST, HELD)) as replicas,
    ):
        receivers.script(HELD, Answer(200, hold=hold))  # stored; the answer is held
        slack_answer = fake.hold("chat.postMessage", channel=PUB2)  # posted; answer held
        first = await replicas.spawn("alpha")
        second = await replicas.spawn("beta")
        assert await replicas.leader() is first

        channel = await replicas.open_incident(second, "Checkout down")  # any replica serves
        await replicas.add_tasks(second, channel, due_in=[6.0, 7.0, 8.0])
        draft = replicas.draft_ts(channel, "S1")
        assert draft is not None
        await replicas.react(second, channel, draft)  # the leader is told, and fans out
        await receivers.wait_until(lambda: receivers.arrived(HELD) == 1, 20)
        await fake.wait_for(lambda: len(fake.messages(PUB2)) == 1)

        await first.process.kill()
        killed = time.monotonic()
        hold.set()  # the held answers now go to a dead process
        slack_answer.set()

        assert await replicas.leader(limit=10) is second
        took_over = time.monotonic() - killed
        assert took_over < 10, took_over
        await until(lambda: replicas.all_sent(DESTINATIONS), 25, "all sent", replicas.explain)
        await replicas.each_task_reminded_once(channel, TASKS)
        assert len(fake.messages(PUB1)) == 1
        assert len(fake.messages(PUB2)) == 1  # the retry found the unrecorded post
        for path in (FAST, HELD):
            hits = receivers.hits_to(path)
            assert all(hit.verified for hit in hits), path
            assert len(receivers.accepted[path]) == 1, path  # one webhook-id, however many tries
        assert len(receivers.hits_to(HELD)) == 2  # sent again after the kill; a repeat, dropped
        assert "Traceback" not in second.process.output
