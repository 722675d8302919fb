"""The whole bot with Slack on: real slack_bolt and slack_sdk, our real runtime, a
fake Slack on 127.0.0.1, signed requests over real HTTP. Tests wait on what the fake
records (bounded waits, never sleeps)."""

from __future__ import annotations

import asyncio
import re
import types
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.http_retry import builtin_async_handlers
from sqlalchemy import func
from sqlmodel import SQLModel, select

from bot.app import Runtime, start
from bot.settings import Settings
from storage import Delivery
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack, SlackSigner
from tests.fakes.slack_payloads import (
    block_actions_body,
    event_body,
    reaction_event,
    view_submission_body,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
GENERAL, FEED, PUB1, PUB2 = "CGENERAL", "CFEED", "CPUB1", "CPUB2"
# Work that runs after an ack: bolt's listener tasks and APScheduler's job runs.
BACKGROUND = {"run_ack_function_asynchronously", "run_coroutine_job"}


@dataclass
class SlackBot:
    fake: FakeSlack
    runtime: Runtime
    http: aiohttp.ClientSession
    signer: SlackSigner
    clock: FakeClock

    async def post(
        self, body: str, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        headers = headers if headers is not None else self.signer.headers(body)
        async with self.http.post("/slack/events", data=body, headers=headers) as response:
            await response.read()
            return response

    async def command(
        self, text: str, user: str = "UALICE", channel: str = GENERAL, **kw: Any
    ) -> int:
        body = self.fake.slash_command_body(text, user, channel, **kw)
        return (await self.post(body)).status

    async def event(
        self, event: dict[str, Any], event_id: str | None = None, retry_num: int | None = None
    ) -> int:
        body = event_body(event, event_id)
        return (await self.post(body, self.signer.headers(body, retry_num=retry_num))).status

    async def react(
        self,
        user: str,
        channel: str,
        ts: str,
        emoji: str = "white_check_mark",
        added: bool = True,
        event_id: str | None = None,
    ) -> int:
        return await self.event(reaction_event(user, channel, ts, emoji, added), event_id)

    def incident_channel(self, name: str) -> str:
        channel = self.fake.channel_by_name(name)
        assert channel is not None, f"no channel #{name}"
        return str(channel["id"])

    def draft_ts(self, channel: str, statement: str) -> str:
        """The newest draft message of ``S<n>`` in a channel (what a person reacts to)."""
        for message in reversed(self.fake.messages(channel)):
            header = next((b for b in message.get("blocks") or [] if b["type"] == "header"), None)
            title = header["text"]["text"] if header else ""
            if title.startswith(f"{statement} · ") and "superseded" not in title:
                return str(message["ts"])
        raise AssertionError(f"no draft {statement} in {channel}")

    async def wait_posts(self, channel: str, count: int) -> list[dict[str, Any]]:
        await self.fake.wait_for(lambda: len(self.fake.messages(channel)) >= count)
        return self.fake.messages(channel)

    async def view(
        self, callback_id: str, values: dict[str, Any], user: str, private_metadata: str, **kw: Any
    ) -> tuple[int, str]:
        """Submit a modal (a signed `view_submission`); the status and body of the ack."""
        body = view_submission_body(callback_id, values, user, private_metadata, **kw)
        headers = self.signer.headers(body)
        async with self.http.post("/slack/events", data=body, headers=headers) as response:
            return response.status, await response.text()

    async def act(
        self, view_id: str, action: dict[str, Any], user: str, values: dict[str, Any] | None = None
    ) -> int:
        """Change an element with `dispatch_action` in the open modal `view_id` (a signed
        `block_actions`); the status of the ack."""
        body = block_actions_body(self.fake.views[view_id], action, user, values)
        return (await self.post(body)).status

    async def open_incident(self, text: str = "open Payments failing sev2", **kw: Any) -> str:
        """`/incident open …`; the new channel's id once its S1 draft is ready to vote on."""
        before = len(self.fake.responses)
        assert await self.command(text, **kw) == 200
        response = await self.fake.wait_for_response(before + 1)
        found = re.search(r"in #([a-z0-9_-]+)\.", response.body["text"])
        assert found, response.body["text"]
        channel = self.incident_channel(found.group(1))
        await self.wait_draft(channel, "S1")
        return channel

    async def wait_draft(self, channel: str, statement: str) -> str:
        """The ts of a draft once it is posted and seeded with ✅ and ❌."""

        def seeded() -> bool:
            try:
                ts = self.draft_ts(channel, statement)
            except AssertionError:
                return False
            return len(self.fake.reactions(channel, ts)) >= 2

        await self.fake.wait_for(seeded)
        return self.draft_ts(channel, statement)

    async def wait_ephemeral(self, user: str, fragment: str) -> dict[str, Any]:
        """The first ephemeral message shown to `user` that contains `fragment`."""

        def found() -> dict[str, Any] | None:
            return next(
                (
                    e
                    for e in self.fake.ephemerals
                    if e["user"] == user and fragment in e.get("text", "")
                ),
                None,
            )

        await self.fake.wait_for(found)
        shown = found()
        assert shown is not None
        return shown

    def said(self, channel: str, fragment: str) -> list[str]:
        """Texts of the messages in `channel` containing `fragment`."""
        return [m["text"] for m in self.fake.messages(channel) if fragment in m.get("text", "")]

    async def settle(self) -> None:
        """Until the work started so far after an ack has finished: bolt's listener tasks,
        scheduler runs and the deliveries they handed out. Lets a test assert that
        something did NOT happen."""
        current = asyncio.current_task()
        async with asyncio.timeout(self.fake.timeout):
            while True:
                running = [
                    task
                    for task in asyncio.all_tasks()
                    if task is not current
                    and getattr(task.get_coro(), "__name__", "") in BACKGROUND
                ]
                couriers = self.runtime.desk.couriers  # the outbox's deliveries
                if not running and not couriers.busy:
                    return
                if running:
                    await asyncio.wait(running)
                else:
                    await couriers.idle()

    async def deliveries(self) -> dict[str, Delivery]:
        """The outbox rows by destination key (`slack:C…`, `hub`)."""
        async with self.runtime.store.unit_of_work() as uow:
            rows = (await uow.session.exec(select(Delivery))).all()
        return {row.destination: row for row in rows}

    async def rows(self) -> dict[str, int]:
        """Row count of every table: what "nothing was written" means."""
        counts: dict[str, int] = {}
        async with self.runtime.store.engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                query = select(func.count()).select_from(table)
                counts[table.name] = int((await connection.execute(query)).scalar_one())
        return counts


def open_modal_values(
    title: str, severity: str = "sev2", description: str | None = None, commander: str | None = None
) -> dict[str, Any]:
    """The state of a submitted open modal, as Slack sends it (empty inputs are null)."""
    return {
        "title": {"value": title},
        "severity": {
            "value": {"type": "static_select", "selected_option": {"value": severity}},
        },
        "description": {"value": {"type": "plain_text_input", "value": description}},
        "commander": {"value": {"type": "users_select", "selected_user": commander}},
    }


def settings(fake: FakeSlack, database_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "http_port": 0,
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_api_url": fake.base_url,
        "public_destinations": f"slack:{PUB1},slack:{PUB2}",
        "incidents_feed": f"slack:{FEED}",
        **extra,
    }
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def slack_bot(
    database_url: str, clock: FakeClock, monkeypatch: Any, **extra: Any
) -> AsyncIterator[SlackBot]:
    # slack_sdk sleeps Retry-After + random(); the fake says Retry-After 0: no jitter.
    monkeypatch.setattr(builtin_async_handlers, "random", types.SimpleNamespace(random=lambda: 0.0))
    async with FakeSlack(chat_write_public=True) as fake:
        for channel, name in (
            (GENERAL, "general"),
            (FEED, "incidents"),
            (PUB1, "status"),
            (PUB2, "announcements"),
        ):
            fake.add_channel(channel, name, members=("UALICE", "UBOB", "UCAROL"))
        runtime = await start(settings(fake, database_url, **extra), clock=clock)
        async with serving(fake, runtime, clock) as bot:
            yield bot


@asynccontextmanager
async def serving(fake: FakeSlack, runtime: Runtime, clock: FakeClock) -> AsyncIterator[SlackBot]:
    """A started runtime as a SlackBot that signs its requests; stopped afterwards."""
    assert runtime.http is not None
    host, port = runtime.http.addresses[0][:2]
    try:
        async with aiohttp.ClientSession(f"http://{host}:{port}") as http:
            yield SlackBot(fake, runtime, http, SlackSigner(SECRET), clock)
    finally:
        await runtime.stop()
