"""cpu: CPU time and SQL statements per event, by kind of event.

    .venv/bin/python -m bench.cpu [--events 200] [--db sqlite|postgres] [--runs 3]

The bot is assembled as `candor console` assembles it (``bot.app.start``, no HTTP), on a
database holding a few open incidents, each with its roles, tasks and statements. Each
kind of event is then sent ``--events`` times, one after another, through the Desk (the
entry point every platform calls): `/incident help`, `list`, `status`, `timeline`, a
draft, and a vote (✅ on a fresh draft, by an approver). The CPU is the whole process's
(``time.process_time``: the event loop and SQLite's thread alike), so it is what the
event costs the machine, not its wall time; statements are counted on the engine. The
event's after-commit effects (chat posts, the pinned summary) are inside the window;
the deliveries a vote sets off run in the couriers afterwards, outside it.

Prints, per kind: mean and p90 CPU ms per event, SQL statements per event, and the
issue's target. ``--runs`` repeats the whole measurement and gives the spread. Never
passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from bench.common import database, percentile
from bot.app import Runtime, start
from bot.settings import Settings
from commands import Actor, ChannelRef, Reaction

ALICE = Actor("console", "u100", "Alice")  # opens, and is commander: may approve
BOB = Actor("console", "u200", "Bob")  # writes the drafts
INCIDENTS = 5
TARGETS_MS = {"help": 4.0, "list": 8.0, "status": 8.0, "vote": 7.0}


@dataclass
class Kind:
    cpu: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)


class Bench:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.statements = 0
        engine = runtime.store.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._count)
        self.channel = ""
        self.drafts: list[str] = []  # message ids of drafts waiting for the vote

    def _count(self, *_: Any) -> None:
        self.statements += 1

    async def say(self, who: Actor, line: str, channel: str | None = None) -> str:
        where = ChannelRef("console", "local", channel or self.channel)
        reply = await self.runtime.desk.handle_text(line, who, where)
        if reply.is_error:
            raise SystemExit(f"{line!r}: {reply.plain}")
        return reply.plain

    async def seed(self) -> None:
        console = self.runtime.console
        assert console is not None
        for number in range(1, INCIDENTS + 1):
            await self.say(
                ALICE, f"/incident open Checkout errors in region {number} sev2", "general"
            )
            self.channel = list(console.channels)[-1]
            await self.say(ALICE, "/incident assign comms @u200")
            await self.say(ALICE, "/incident task @u200 30m look at the dashboards")
            await self.say(BOB, "/incident approve S1r1")  # comms approves the ack draft
            await self.say(BOB, "/incident draft We are still investigating.")
        await self.runtime.desk.settle()

    async def measure(self, count: int, event_: Callable[[], Awaitable[object]]) -> Kind:
        got = Kind()
        for _ in range(count):
            gc.collect()  # each event pays for its own garbage, not the last one's
            before_cpu, before_sql = time.process_time(), self.statements
            await event_()  # with its after-commit effects (chat posts, the summary)
            got.cpu.append(time.process_time() - before_cpu)
            got.statements.append(self.statements - before_sql)
            await self.runtime.desk.settle()  # deliveries run apart: not the event's cost
        return got

    async def prepare_draft(self) -> None:
        """A draft for the vote to come (not measured): Bob writes, Alice will approve."""
        said = await self.say(BOB, "/incident draft Payments are slow; we are on it.")
        await self.runtime.desk.settle()
        console = self.runtime.console
        assert console is not None
        posted = console.statement_message(self.channel, said.split()[0])
        assert posted is not None, said
        self.drafts.append(posted.message_id)

    async def vote(self) -> None:
        """Alice's ✅ on the oldest draft waiting: it is approved and published."""
        where = ChannelRef("console", "local", self.channel)
        reaction = Reaction(where, self.drafts.pop(0), ALICE, "white_check_mark", True)
        reply = await self.runtime.desk.react(reaction)
        if reply is not None and reply.is_error:
            raise SystemExit(f"vote: {reply.plain}")

    def kinds(self) -> dict[str, Callable[[], Awaitable[object]]]:
        return {
            "help": lambda: self.say(ALICE, "/incident help"),
            "list": lambda: self.say(ALICE, "/incident list"),
            "status": lambda: self.say(ALICE, "/incident status"),
            "timeline": lambda: self.say(ALICE, "/incident timeline"),
            "draft": lambda: self.say(BOB, "/incident draft Payments are slow; we are on it."),
            "vote": self.vote,
        }


async def run_once(db: str, count: int) -> dict[str, Kind]:
    async with database(db) as url:
        settings = Settings(_env_file=None, database_url=url, http_port=0)
        runtime = await start(settings, console_write=lambda _line: None, serve_http=False)
        try:
            bench = Bench(runtime)
            await bench.seed()
            kinds = bench.kinds()
            results: dict[str, Kind] = {}
            for kind, event_ in kinds.items():
                if kind == "vote":
                    for _ in range(count):  # drafts to vote on, not measured
                        await bench.prepare_draft()
                results[kind] = await bench.measure(count, event_)
            return results
        finally:
            await runtime.stop()


def _report(db: str, count: int, runs: list[dict[str, Kind]]) -> None:
    print(f"CPU and SQL per event, {count} events per kind, {len(runs)} run(s), Candor on {db}")
    print(f"{'event':>9} | {'CPU mean':>9} {'p90':>8} | {'spread of means':>17} | SQL | target")
    for kind in runs[0]:
        means = [statistics.fmean(run[kind].cpu) * 1000 for run in runs]
        every = [cpu for run in runs for cpu in run[kind].cpu]
        statements = statistics.fmean(s for run in runs for s in run[kind].statements)
        target = TARGETS_MS.get(kind)
        print(
            f"{kind:>9} | {statistics.fmean(means):6.1f} ms {percentile(every, 90) * 1000:5.1f} ms"
            f" | {min(means):6.1f}–{max(means):5.1f} ms  | {statements:4.1f}"
            f" | {f'≤ {target:g} ms' if target else '—'}"
        )


async def main(count: int, db: str, runs: int) -> None:
    results = [await run_once(db, count) for _ in range(runs)]
    _report(db, count, results)


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    parser.add_argument("--events", type=int, default=200, help="per kind of event")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=3, help="whole measurements, for the spread")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.db, args.runs))


if __name__ == "__main__":
    cli()
