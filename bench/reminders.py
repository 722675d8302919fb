"""reminders: 10,000 open incidents and 50,000 tasks whose due times are spread over 60 s.
How late each "task due now" reminder fires (p50/p99/max lag between due and fired),
the bot's memory, and how long it takes to start and re-arm, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.reminders [--short] [--db sqlite|postgres|both]

Rows are bulk-inserted straight into the database (that is setup, not what is
measured). Then the real bot starts in its own process (`bot.app.start`: real
scheduler, real clock, the console as its chat, printing nowhere) and fires them.
Lag is the claim time recorded in the database minus the due time. `--short`: 1,000
incidents and 5,000 tasks over 10 s. Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import col, select

from bench.common import Server, child_env, database, percentile
from storage import Incident, Reminder, Store, Task

CHUNK = 5000


def _incident_rows(count: int, now: datetime) -> list[dict[str, object]]:
    return [
        {
            "platform": "console",
            "workspace_id": "local",
            "number": n,
            "title": f"Outage {n}",
            "description": "",
            "severity": "sev3",
            "state": "investigating",
            "channel_id": f"inc-{n}",
            "channel_name": f"inc-{n}",
            "opened_by": "alice",
            "opened_at": now,
            "cadence_minutes": 60,
        }
        for n in range(1, count + 1)
    ]


async def _insert(store: Store, table: object, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with store.engine.begin() as connection:
            await connection.execute(insert(table), rows[start : start + CHUNK])  # type: ignore[arg-type]


async def seed(url: str, incidents: int, tasks: int, spread: float, lead: float) -> datetime:
    """Incidents, then tasks and their 'due now' rungs due from ``lead`` seconds after the
    seeding is done, over ``spread`` seconds. Returns when the first one is due."""
    store = Store(url)
    now = datetime.now(UTC)
    await _insert(store, Incident.__table__, _incident_rows(incidents, now))
    async with store.reading() as uow:
        ids = list((await uow.session.exec(select(Incident.id).order_by(col(Incident.id)))).all())
    first = datetime.now(UTC) + timedelta(seconds=lead)
    dues = [first + timedelta(seconds=spread * n / tasks) for n in range(tasks)]
    per = tasks // incidents
    task_rows = [
        {
            "incident_id": ids[n % incidents],
            "number": n // incidents + 1,
            "title": f"Step {n // incidents + 1}",
            "owner_id": "bob",
            "created_by": "alice",
            "created_at": now,
            "due_at": dues[n],
        }
        for n in range(per * incidents)
    ]
    await _insert(store, Task.__table__, task_rows)
    async with store.reading() as uow:
        query = select(Task.id, Task.due_at, Task.incident_id).order_by(col(Task.id))
        created = (await uow.session.exec(query)).all()
    reminder_rows = [
        {
            "incident_id": incident_id,
            "task_id": task_id,
            "kind": "task",
            "step": 1,
            "due_at": due,
            "fire_at": due,
        }
        for task_id, due, incident_id in created
    ]
    await _insert(store, Reminder.__table__, reminder_rows)
    await store.dispose()
    return first


async def lags(url: str) -> tuple[list[float], int]:
    """Seconds between due and fired for every seeded rung; and how many never fired."""
    store = Store(url)
    async with store.reading() as uow:
        query = select(Reminder.fire_at, Reminder.fired_at).where(
            Reminder.kind == "task", Reminder.step == 1
        )
        rows = (await uow.session.exec(query)).all()
    await store.dispose()
    fired = [(f - d).total_seconds() for d, f in rows if f is not None]
    return fired, sum(1 for _, f in rows if f is None)


async def child(url: str, until: float) -> None:
    """The bot process: start it, wait until every seeded rung fired (or ``until``)."""
    from bot.app import start
    from bot.settings import Settings

    began = time.perf_counter()
    runtime = await start(
        Settings(_env_file=None, database_url=url, http_port=0),
        console_write=lambda _text: None,
        serve_http=False,
    )
    started = time.perf_counter() - began
    armed_at = time.time()
    rss_started = _memory("VmRSS")
    while time.time() < until:
        async with runtime.store.reading() as uow:
            query = select(Reminder.id).where(
                Reminder.kind == "task", Reminder.step == 1, col(Reminder.fired_at).is_(None)
            )
            if (await uow.session.exec(query.limit(1))).first() is None:
                break
        await asyncio.sleep(0.5)
    await runtime.stop()
    report = {
        "started": started,
        "armed_at": armed_at,
        "rss_started": rss_started,
        "rss_peak": _memory("VmHWM"),
    }
    print(json.dumps(report), flush=True)


def _memory(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def run(kind: str, incidents: int, tasks: int, spread: float) -> None:
    async with database(kind) as url:
        seeding = time.perf_counter()
        first = await seed(url, incidents, tasks, spread, lead=8.0)
        seeded = time.perf_counter() - seeding
        until = (first + timedelta(seconds=spread + 60)).timestamp()
        launched = time.time()
        server = await Server.spawn(
            "-m", "bench.reminders", "--child", url, "--until", str(until), env=child_env()
        )
        await server.process.wait()
        log = server.log.read_text()
        await server.stop()
        report = json.loads(log.strip().splitlines()[-1])
        fired, missed = await lags(url)
    print(
        f"{kind:<10} {incidents:>6} incidents {tasks:>6} tasks over {spread:.0f} s "
        f"(seeded in {seeded:.1f} s)\n"
        f"  start-up: process launch to re-armed {report['armed_at'] - launched:.2f} s "
        f"(start() {report['started']:.2f} s); RSS {report['rss_started']:.0f} MiB "
        f"after start, {report['rss_peak']:.0f} MiB peak\n"
        f"  lag due → fired: p50 {percentile(fired, 50) * 1000:.0f} ms, "
        f"p99 {percentile(fired, 99) * 1000:.0f} ms, max {max(fired, default=0) * 1000:.0f} ms; "
        f"{len(fired)} fired, {missed} not fired"
    )


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("--short", action="store_true", help="1,000 incidents, 5,000 tasks, 10 s")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--until", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(child(args.child, args.until))
        return
    incidents, tasks, spread = (1000, 5000, 10.0) if args.short else (10_000, 50_000, 60.0)
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        asyncio.run(run(kind, incidents, tasks, spread))


if __name__ == "__main__":
    cli()
