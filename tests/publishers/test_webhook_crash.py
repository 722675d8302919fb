"""A bot process killed in the middle of a fan-out, restarted on the same database:
every receiver ends up with the statement exactly once.

The real CLI (``python -m bot.cli console``, stdin kept open) publishes to three
webhook receivers in this test's process. One answers at once; one stores the
statement but holds its answer; one holds the request without storing it. With
both held, the process is SIGKILLed: two deliveries are left ``sending``, one of
them already stored by its receiver. The restarted process finds them when their
lease runs out (the test ages the dead process's claims by the lease, as time would) and
sends them again with the same webhook-id, which the storing receiver drops as a repeat.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from commands.publishing.outbox import STALE_SENDING
from storage import Delivery, Store
from tests.fakes.webhooks import SECRET, Answer, running_receivers

FAST, TAKEN, LOST = "/fast", "/taken", "/lost"
POLL = 0.02  # between looks at the database; correctness never depends on it


class Console:
    """One ``candor console`` process: lines in through stdin, output collected."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        assert process.stdout is not None
        self._pump = asyncio.create_task(self._read(process.stdout))

    @classmethod
    async def start(cls, env: Mapping[str, str], cwd: Path) -> Console:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "console",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
        )
        return cls(process)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._changed.set()

    async def type(self, *lines: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{line}\n" for line in lines).encode())
        await self.process.stdin.drain()

    async def wait_for(self, pattern: str, limit: float = 30.0) -> None:
        async def until() -> None:
            while not any(re.search(pattern, line) for line in self.lines):
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), limit)
        except TimeoutError:
            raise AssertionError(f"no {pattern!r} in:\n" + "\n".join(self.lines)) from None

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()  # SIGKILL: no cleanup, no last records
        await asyncio.wait_for(self.process.wait(), 10)
        await asyncio.wait_for(self._pump, 10)

    async def quit(self) -> None:
        await self.type(":quit")
        await asyncio.wait_for(self.process.wait(), 30)
        await asyncio.wait_for(self._pump, 10)


async def _lease_lapses(store: Store) -> None:
    """Move the dead process's claims back by the lease (a rehearsal's ``:skip`` would not
    do: it runs on a copy, and sends nothing outside)."""
    async with store.unit_of_work() as uow:
        sending = (
            await uow.session.exec(select(Delivery).where(Delivery.state == "sending"))
        ).all()
        for delivery in sending:
            assert delivery.claimed_at is not None
            delivery.claimed_at -= STALE_SENDING + timedelta(seconds=1)
            uow.session.add(delivery)


async def _states(store: Store) -> dict[str, str]:
    """Webhook path → delivery state, as the database has it."""
    async with store.unit_of_work() as uow:
        rows = (await uow.session.exec(select(Delivery))).all()
    return {
        "/" + d.destination.rsplit("/", 1)[1]: d.state
        for d in rows
        if d.destination.startswith("webhook:")
    }


async def _until_states(store: Store, wanted: dict[str, str], limit: float = 15.0) -> None:
    async def until() -> None:
        # Another process writes these rows: there is nothing to wait on but the rows.
        while await _states(store) != wanted:  # noqa: ASYNC110
            await asyncio.sleep(POLL)

    try:
        await asyncio.wait_for(until(), limit)
    except TimeoutError:
        raise AssertionError(f"deliveries {await _states(store)}, wanted {wanted}") from None


async def test_a_process_killed_mid_fan_out_resumes_and_no_receiver_gets_it_twice(
    database_url: str, tmp_path: Path
) -> None:
    hold = asyncio.Event()
    store = Store(database_url)
    first: Console | None = None
    second: Console | None = None
    async with running_receivers() as receivers:
        receivers.script(TAKEN, Answer(200, hold=hold))  # stored; the answer never arrives
        receivers.script(LOST, Answer(503, hold=hold, accept=False))  # never processed
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PUBLIC_DESTINATIONS": ",".join(
                f"webhook:{receivers.url(path)}" for path in (FAST, TAKEN, LOST)
            ),
            "WEBHOOK_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN", "APPROVERS", "PUBLIC_URL"):
            env.pop(name, None)
        try:
            first = await Console.start(env, tmp_path)
            await first.type("/incident open Checkout down sev2", ":react ✅ S1")
            await receivers.wait_until(
                lambda: receivers.arrived(TAKEN) == 1 and receivers.arrived(LOST) == 1, 30
            )
            await _until_states(store, {FAST: "sent", TAKEN: "sending", LOST: "sending"})
            await first.kill()  # mid-fan-out: two deliveries sent but not recorded
            assert await _states(store) == {FAST: "sent", TAKEN: "sending", LOST: "sending"}
            hold.set()  # the held answers now go to a dead socket
            assert not any("S1 is public" in line for line in first.lines)

            await _lease_lapses(store)  # the process stayed dead past its claims' lease
            second = await Console.start(env, tmp_path)
            await second.wait_for(r"S1 is public — sent to .*/fast.*/taken.*/lost")
            await second.quit()
            assert await _states(store) == {FAST: "sent", TAKEN: "sent", LOST: "sent"}
        finally:
            for console in (first, second):
                if console is not None:
                    await console.kill()
            await store.dispose()

    for path in (FAST, TAKEN, LOST):
        hits = receivers.hits_to(path)
        assert all(hit.verified for hit in hits), path
        assert len({hit.webhook_id for hit in hits}) == 1, path  # one id, however many tries
        assert len(receivers.accepted[path]) == 1, path  # the statement, exactly once
        assert receivers.accepted[path][hits[0].webhook_id]["data"]["statement"]["ref"] == "S1"
    assert len(receivers.hits_to(FAST)) == 1  # recorded before the kill: never sent again
    assert len(receivers.hits_to(TAKEN)) == 2  # sent again; the receiver dropped the repeat
    assert [hit.status for hit in receivers.hits_to(LOST)] == [503, 200]
    assert "Traceback" not in "\n".join(second.lines if second else [])
