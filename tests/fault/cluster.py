"""Replicas of the real bot (``python -m bot.cli run``, real clock, real scheduler) in
subprocesses, on a PostgreSQL database of their own, talking to a fake Slack and
webhook receivers in the test process. People act through signed Slack requests to
whichever replica; tests read the fakes and the database, polling with a deadline
(another process does the work: there is nothing else to wait on)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import col, select

from storage import Delivery, Reminder, Store
from tests.fakes.slack import FakeSlack, SlackSigner
from tests.fakes.slack_payloads import event_body, reaction_event
from tests.fakes.webhooks import SECRET as WEBHOOK_SECRET
from tests.fakes.webhooks import Receivers
from tests.replicas.processes import CandorProcess, clean_env, free_port

PG_URL = os.environ.get("CANDOR_TEST_DATABASE_URL")
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
GENERAL, FEED, PUB1, PUB2 = "CGENERAL", "CFEED", "CPUB1", "CPUB2"
PEOPLE = ("UALICE", "UBOB")
POLL = 0.05  # seconds between looks; correctness never depends on it
HUB = "http://status.example"


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, migrated database on the test server (dropped afterwards): replicas and
    their faults never touch the database other tests use."""
    assert PG_URL is not None
    base = make_url(PG_URL)
    name = f"candor_fault_{secrets.token_hex(4)}"
    admin = create_async_engine(
        base.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        store = Store(url)
        await store.migrate()
        await store.dispose()
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def until(
    check: Callable[[], Awaitable[bool]],
    limit: float,
    what: str,
    explain: Callable[[], Awaitable[str]] | None = None,
) -> None:
    async def loop() -> None:
        # Other processes do the work: there is nothing to wait on but what they wrote.
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(POLL)

    try:
        await asyncio.wait_for(loop(), limit)
    except TimeoutError:
        details = f"\n{await explain()}" if explain is not None else ""
        raise AssertionError(f"not within {limit} s: {what}{details}") from None


@dataclass
class Replica:
    name: str
    process: CandorProcess
    port: int
    admin_port: int  # the internal listener: detailed health (leader or not)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def health(self) -> dict[str, Any] | None:
        """The detailed /healthz of the internal listener when it answers 200; None when
        the process or its database is away."""
        if self.process.process.returncode is not None:
            return None
        try:
            async with aiohttp.ClientSession() as http, http.get(self.admin_health) as got:
                return dict(await got.json()) if got.status == 200 else None
        except (aiohttp.ClientError, OSError):
            return None

    @property
    def admin_health(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}/healthz"

    async def leads(self) -> bool:
        health = await self.health()
        return bool(health and health.get("leader"))


@dataclass
class Cluster:
    fake: FakeSlack
    receivers: Receivers
    database_url: str  # what the test reads
    tmp_path: Path
    webhook_paths: tuple[str, ...]
    replica_database_url: str = ""  # what replicas connect to (perhaps through a proxy)
    replicas: list[Replica] = field(default_factory=list)
    signer: SlackSigner = field(default_factory=lambda: SlackSigner(SIGNING_SECRET))

    def __post_init__(self) -> None:
        self.replica_database_url = self.replica_database_url or self.database_url
        self.store = Store(self.database_url)

    def env(self, name: str, port: int, admin_port: int = 0) -> dict[str, str]:
        webhooks = [f"webhook:{self.receivers.url(path)}" for path in self.webhook_paths]
        return clean_env(
            DATABASE_URL=self.replica_database_url,
            SLACK_BOT_TOKEN="xoxb-test-token",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.fake.base_url,
            HTTP_HOST="127.0.0.1",
            HTTP_PORT=str(port),
            ADMIN_HTTP_PORT=str(admin_port),
            PUBLIC_URL=HUB,
            REPLICA_NAME=name,
            PUBLIC_DESTINATIONS=",".join([f"slack:{PUB1}", f"slack:{PUB2}", *webhooks]),
            INCIDENTS_FEED=f"slack:{FEED}",
            WEBHOOK_SECRET=WEBHOOK_SECRET,
            LOG_LEVEL="INFO",
        )

    async def spawn(self, name: str) -> Replica:
        port, admin_port = free_port(), free_port()
        process = await CandorProcess.start(
            "run", env=self.env(name, port, admin_port), cwd=self.tmp_path, name=name
        )
        replica = Replica(name, process, port, admin_port)
        self.replicas.append(replica)
        await until(lambda: _healthy(replica), 30, f"{name} answers /healthz")
        return replica

    async def leader(self, limit: float = 10.0) -> Replica:
        """The one replica that says it leads (waits until exactly one does)."""
        found: list[Replica] = []

        async def one() -> bool:
            found[:] = [r for r in self.replicas if await r.leads()]
            return len(found) == 1

        await until(one, limit, "exactly one replica leads")
        return found[0]

    async def close(self) -> None:
        for replica in self.replicas:
            await replica.process.terminate()
        await self.store.dispose()

    # -- people, through Slack ------------------------------------------------------

    async def _post(self, replica: Replica, body: str) -> int:
        headers = self.signer.headers(body)
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{replica.url}/slack/events", data=body, headers=headers) as response,
        ):
            return response.status

    async def command(self, replica: Replica, line: str, channel: str = GENERAL) -> None:
        body = self.fake.slash_command_body(line, PEOPLE[0], channel)
        assert await self._post(replica, body) == 200

    async def react(self, replica: Replica, channel: str, ts: str) -> None:
        body = event_body(reaction_event(PEOPLE[0], channel, ts, "white_check_mark"))
        assert await self._post(replica, body) == 200

    async def open_incident(self, replica: Replica, title: str) -> str:
        """`/incident open`; the new channel once its S1 draft is seeded with ✅ and ❌."""
        before = len(self.fake.responses)
        await self.command(replica, f"open {title} sev2")
        response = await self.fake.wait_for_response(before + 1)
        found = re.search(r"in #([a-z0-9_-]+)\.", response.body["text"])
        assert found, response.body["text"]
        channel = self.fake.channel_by_name(found.group(1))
        assert channel is not None
        await self.fake.wait_for(lambda: self.draft_ts(channel["id"], "S1") is not None)
        return str(channel["id"])

    def draft_ts(self, channel: str, statement: str) -> str | None:
        for message in self.fake.messages(channel):
            header = next((b for b in message.get("blocks") or [] if b["type"] == "header"), None)
            title = header["text"]["text"] if header else ""
            if title.startswith(f"{statement} · ") and len(message.get("reactions", [])) >= 2:
                return str(message["ts"])
        return None

    async def add_tasks(self, replica: Replica, channel: str, due_in: list[float]) -> None:
        for number, seconds in enumerate(due_in, 1):
            due = datetime.now(UTC) + timedelta(seconds=seconds)
            before = len(self.fake.responses)
            await self.command(
                replica, f"task <@{PEOPLE[1]}> {due:%Y-%m-%dT%H:%M:%SZ} Step {number}", channel
            )
            response = await self.fake.wait_for_response(before + 1)
            assert f"T{number}" in response.body["text"], response.body["text"]

    # -- what happened -----------------------------------------------------------------

    async def deliveries(self) -> dict[str, str]:
        async with self.store.reading() as uow:
            rows = (await uow.session.exec(select(Delivery))).all()
        return {row.destination: row.state for row in rows}

    async def explain(self) -> str:
        """What the database and each replica say (for a failed wait)."""
        parts = [f"deliveries: {await self.deliveries()}", f"webhooks: {self.receivers.events}"]
        parts.append(
            f"slack calls: {[(c.method, c.args.get('channel'), c.status) for c in self.fake.calls]}"
        )
        for rung in await self.task_rungs_due_now():
            parts.append(f"task rung {rung.id}: fire_at {rung.fire_at} fired_at {rung.fired_at}")
        for replica in self.replicas:
            parts.append(f"--- {replica.name} ---\n{replica.process.output}")
        return "\n".join(parts)

    async def all_sent(self, count: int) -> bool:
        states = await self.deliveries()
        return len(states) == count and set(states.values()) == {"sent"}

    async def task_rungs_due_now(self) -> list[Reminder]:
        """The 'due now' rung of every task (step 1), fired or not."""
        async with self.store.reading() as uow:
            query = select(Reminder).where(Reminder.kind == "task", Reminder.step == 1)
            return list((await uow.session.exec(query.order_by(col(Reminder.id)))).all())

    def said(self, channel: str, pattern: str) -> list[str]:
        texts = [str(m.get("text", "")) for m in self.fake.messages(channel)]
        return [t for t in texts if re.search(pattern, t)]

    async def each_task_reminded_once(self, channel: str, tasks: int) -> None:
        """Waits (bounded) until every task's "due now" rung fired, then checks the
        channel heard each exactly once, whichever replica fired it."""

        async def reminded() -> bool:
            rungs = await self.task_rungs_due_now()
            return len(rungs) == tasks and all(r.fired_at for r in rungs)

        await until(reminded, 15, "every task reminder fired", self.explain)
        for number in range(1, tasks + 1):
            said = self.said(channel, rf"task T{number} “Step {number}” is due now")
            assert len(said) == 1, number


async def _healthy(replica: Replica) -> bool:
    if replica.process.process.returncode is not None:
        raise AssertionError(f"{replica.name} exited:\n{replica.process.output}")
    return await replica.health() is not None


@asynccontextmanager
async def slack_world() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(chat_write_public=True, timeout=20.0) as fake:
        for channel, name in (
            (GENERAL, "general"),
            (FEED, "incidents"),
            (PUB1, "status"),
            (PUB2, "announcements"),
        ):
            fake.add_channel(channel, name, members=PEOPLE)
        for user in PEOPLE:
            fake.add_user(user, user.lower())
        yield fake


@asynccontextmanager
async def cluster(
    fake: FakeSlack,
    receivers: Receivers,
    database_url: str,
    tmp_path: Path,
    webhook_paths: tuple[str, ...],
    replica_database_url: str = "",
) -> AsyncIterator[Cluster]:
    running = Cluster(fake, receivers, database_url, tmp_path, webhook_paths, replica_database_url)
    try:
        yield running
    finally:
        with suppress(Exception):
            await running.close()
