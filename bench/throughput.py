"""throughput: Slack events per second the bot sustains with no error, with one replica
and with two on the same PostgreSQL.

    .venv/bin/python -m bench.throughput [--seconds 20] [--users 16] [--replicas 1 2]

Each replica is `candor run` in its own process; the fake Slack and the load are in this
one. Virtual people work in 8 open incidents, each in a loop: a signed slash command
(`/incident status`, answered through its response_url) then a reaction (✅ on the S1
draft from someone who may not approve it: refused in a private message, and written to
the timeline). The next event goes only once the last was answered, round-robin over
the replicas. An error is a non-200 ack, a "Something went wrong" answer, or no answer
within 10 s. Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import time
from dataclasses import dataclass, field

import aiohttp

from bench.common import (
    BENCH_PG_URL,
    SLACK_SECRET,
    Server,
    database,
    free_port,
    percentile,
    slack_bot_env,
)
from tests.fakes.slack import FakeSlack, SlackSigner
from tests.fakes.slack_payloads import event_body, reaction_event

SECRET = SLACK_SECRET
GENERAL = "CGENERAL"
INCIDENTS = 8
ANSWER_WITHIN = 10.0
CRASH = "Something went wrong"


class Answers:
    """Resolves waiters as the fake Slack records answers: response_url posts by id,
    private messages by user (one watcher, so a long run stays cheap)."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.responses: dict[str, asyncio.Future[str]] = {}
        self.private: dict[str, list[asyncio.Future[str]]] = {}
        self._seen = [0, 0]
        self._task = asyncio.create_task(self._watch())

    def response(self, response_id: str) -> asyncio.Future[str]:
        return self.responses.setdefault(response_id, asyncio.get_running_loop().create_future())

    def next_private(self, user: str) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.private.setdefault(user, []).append(future)
        return future

    async def _watch(self) -> None:
        fake = self.fake
        while True:
            seen = tuple(self._seen)
            await fake.wait_for(
                lambda seen=seen: (len(fake.responses), len(fake.ephemerals)) != seen
            )
            for post in fake.responses[self._seen[0] :]:
                future = self.response(post.id)
                if not future.done():
                    future.set_result(str(post.body.get("text", "")))
            for shown in fake.ephemerals[self._seen[1] :]:
                waiting = self.private.get(shown["user"]) or []
                if waiting:
                    waiting.pop(0).set_result(str(shown.get("text", "")))
            self._seen = [len(fake.responses), len(fake.ephemerals)]

    def close(self) -> None:
        self._task.cancel()


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"command": [], "reaction": []}
    )
    errors: list[str] = field(default_factory=list)


async def _send(http: aiohttp.ClientSession, url: str, body: str) -> int:
    headers = SlackSigner(SECRET).headers(body)
    async with http.post(f"{url}/slack/events", data=body, headers=headers) as response:
        await response.read()
        return response.status


async def _open_incidents(
    fake: FakeSlack, http: aiohttp.ClientSession, url: str
) -> list[tuple[str, str]]:
    """Open the incidents people work in; each one's channel and S1 draft ts."""
    opened = []
    for number in range(1, INCIDENTS + 1):
        before = len(fake.responses)
        body = fake.slash_command_body(f"open Outage {number} sev2", "UALICE", GENERAL)
        assert await _send(http, url, body) == 200
        answer = await fake.wait_for_response(before + 1)
        found = re.search(r"in #([a-z0-9_-]+)\.", answer.body["text"])
        assert found, answer.body["text"]
        channel = str((fake.channel_by_name(found.group(1)) or {})["id"])

        def draft(channel: str = channel) -> str | None:
            for message in fake.messages(channel):
                blocks = message.get("blocks") or []
                header = next((b for b in blocks if b["type"] == "header"), None)
                if header and header["text"]["text"].startswith("S1 · "):
                    return str(message["ts"]) if len(message.get("reactions", [])) >= 2 else None
            return None

        await fake.wait_for(lambda draft=draft: draft() is not None)
        opened.append((channel, str(draft())))
    return opened


async def _person(
    n: int,
    fake: FakeSlack,
    answers: Answers,
    urls: itertools.cycle[str],
    incident: tuple[str, str],
    until: float,
    tally: Tally,
) -> None:
    channel, draft = incident
    user = f"UVIEW{n:03d}"
    fake.workspace.channel(channel).members.add(user)  # private answers need a member
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < until:
            for kind in ("command", "reaction"):
                began = time.perf_counter()
                if kind == "command":
                    response_url = fake.response_url(channel)
                    waiting = answers.response(response_url.rsplit("/", 1)[1])
                    body = fake.slash_command_body(
                        "status", user, channel, response_url=response_url
                    )
                else:
                    waiting = answers.next_private(user)
                    body = event_body(reaction_event(user, channel, draft, "white_check_mark"))
                status = await _send(http, next(urls), body)
                if status != 200:
                    tally.errors.append(f"{kind}: HTTP {status}")
                    continue
                try:
                    text = await asyncio.wait_for(waiting, ANSWER_WITHIN)
                except TimeoutError:
                    tally.errors.append(f"{kind}: no answer within {ANSWER_WITHIN:.0f} s")
                    continue
                if CRASH in text:
                    tally.errors.append(f"{kind}: {text[:80]}")
                tally.latencies[kind].append(time.perf_counter() - began)


async def _replica(fake: FakeSlack, name: str) -> tuple[Server, str]:
    port = free_port()
    env = slack_bot_env(
        fake.base_url,
        BENCH_PG_URL,
        port,
        REPLICA_NAME=name,
        LOG_LEVEL="WARNING",
    )
    server = await Server.spawn("-m", "bot.cli", "run", env=env)
    url = f"http://127.0.0.1:{port}"
    await server.wait_http(f"{url}/healthz")
    return server, url


async def run(replicas: int, seconds: float, users: int) -> None:
    async with FakeSlack(chat_write_public=True, timeout=60.0) as fake, database("postgres"):
        fake.add_channel(GENERAL, "general", members=("UALICE",))
        started = [await _replica(fake, f"bench-{n}") for n in range(1, replicas + 1)]
        urls = [url for _, url in started]
        answers = Answers(fake)
        tally = Tally()
        try:
            async with aiohttp.ClientSession() as http:
                incidents = await _open_incidents(fake, http, urls[0])
            until = time.monotonic() + seconds
            rotation = itertools.cycle(urls)
            began = time.monotonic()
            await asyncio.gather(
                *(
                    _person(n, fake, answers, rotation, incidents[n % INCIDENTS], until, tally)
                    for n in range(users)
                )
            )
            took = time.monotonic() - began
        finally:
            answers.close()
            for server, _ in started:
                await server.stop()
    _report(replicas, users, took, tally)


def _report(replicas: int, users: int, took: float, tally: Tally) -> None:
    commands, reactions = tally.latencies["command"], tally.latencies["reaction"]
    done = len(commands) + len(reactions)
    both = commands + reactions
    print(
        f"{replicas} replica(s), {users} people: {done / took:.0f} events/s "
        f"({len(commands) / took:.0f} commands/s + {len(reactions) / took:.0f} reactions/s) "
        f"over {took:.0f} s; answered in p50 {percentile(both, 50) * 1000:.0f} ms, "
        f"p99 {percentile(both, 99) * 1000:.0f} ms; {len(tally.errors)} errors"
    )
    for error in sorted(set(tally.errors))[:5]:
        print(f"    error: {error}")


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--users", type=int, default=16, help="virtual people at work")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    for count in args.replicas:
        asyncio.run(run(count, args.seconds, args.users))


if __name__ == "__main__":
    cli()
