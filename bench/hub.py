"""hub: the status hub under 50 concurrent readers, against a bare aiohttp handler serving
the same bytes in the same run; and command answers with and without those readers.

    .venv/bin/python -m bench.hub [--seconds 5] [--rounds 3] [--commands 200] [--db sqlite|postgres]

The bot runs as `candor run` (Slack over HTTP) in its own process, on a database seeded
beforehand with a few incidents and published statements (their pages are what readers
read). The bare server is an aiohttp app in a process of its own whose one handler
answers the bytes the bot's `/status` answered. Readers are aiohttp clients in a third
process (50 at once, keep-alive, each sends its next GET when the last one is read), so
they do not share a core's event loop with the fake Slack that times the commands.

1. requests/s on `/status`, alternating `--seconds`-long rounds between hub and bare;
2. `--commands` signed `/incident list` sent one after another, alone, then while 50
   readers read the hub: the ack (the HTTP answer to the slash command) and the answer
   (the `respond()` post reaching the fake Slack), p50 / p99.

Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from yarl import URL

from bench.common import (
    SLACK_SECRET,
    Server,
    child_env,
    database,
    free_port,
    percentile,
    slack_bot_env,
)
from tests.fakes.slack import FakeSlack, SlackSigner

SECRET = SLACK_SECRET
GENERAL = "CGENERAL"
READERS = 50
INCIDENTS = 6  # seeded; each with a few published statements, one resolved
ANSWER_WITHIN = 30.0


# --- the seeded record -----------------------------------------------------------


async def _seed(url: str) -> None:
    """Incidents with published statements, written by the bot itself (console)."""
    from bot.app import start
    from bot.settings import Settings
    from commands.ports import Actor, ChannelRef

    alice = Actor("console", "u100", "Alice Quillfeather")
    runtime = await start(
        Settings(_env_file=None, database_url=url, http_port=0),
        console_write=lambda _line: None,
        serve_http=False,
    )
    try:
        assert runtime.console is not None

        async def say(channel: str, line: str) -> None:
            reply = await runtime.desk.handle_text(
                line, alice, ChannelRef("console", "local", channel)
            )
            assert not reply.is_error, reply.plain

        for number in range(1, INCIDENTS + 1):
            await say(
                "general", f"/incident open Checkout errors in region {number} sev{1 + number % 3}"
            )
            channel = list(runtime.console.channels)[-1]
            for statement in range(1, 4):
                await say(channel, "/incident draft holding")
                await say(channel, f"/incident approve S{statement}")
                await runtime.desk.run_due()
            if number == INCIDENTS:
                await say(channel, "/incident resolve Fixed by a rollback.")
                await say(channel, "/incident draft resolved")
                await say(channel, "/incident approve S4")
                await runtime.desk.run_due()
    finally:
        await runtime.stop()


# --- the servers ------------------------------------------------------------------


async def _serve_bare(port: int, body: bytes) -> None:
    """One handler answering the hub's front page bytes (the floor)."""

    async def page(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/status", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


async def _start_bot(fake: FakeSlack, db_url: str) -> tuple[Server, str]:
    port = free_port()
    env = slack_bot_env(
        fake.base_url,
        db_url,
        port,
        ADMIN_HTTP_PORT=str(free_port()),
        LOG_LEVEL="WARNING",
    )
    server = await Server.spawn("-m", "bot.cli", "run", env=env)
    url = f"http://127.0.0.1:{port}"
    await server.wait_http(f"{url}/status")
    return server, url


async def _start_bare(body: bytes, directory: str) -> tuple[Server, str]:
    port = free_port()
    body_file = Path(directory) / "status.html"
    body_file.write_bytes(body)
    args = ("-m", "bench.hub", "--serve-bare", str(port), "--body-file", str(body_file))
    server = await Server.spawn(*args, env=child_env())
    url = f"http://127.0.0.1:{port}"
    await server.wait_http(f"{url}/status")
    return server, url


# --- readers (in their own process) --------------------------------------------------


async def _raw_reader(
    url: str, going: Callable[[], bool], seen: Callable[[int, float], None]
) -> None:
    """A keep-alive HTTP/1.1 GET loop on a bare socket: a client that costs far less CPU
    than aiohttp's, so that on a small machine the server, not the client, is measured."""
    parsed = URL(url)
    reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
    request = f"GET {parsed.path_qs} HTTP/1.1\r\nHost: {parsed.host}:{parsed.port}\r\n\r\n"
    try:
        while going():
            sent = time.perf_counter()
            writer.write(request.encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            seen(int(head[9:12]), time.perf_counter() - sent)
    finally:
        writer.close()


async def _read(url: str, concurrency: int, seconds: float, client: str) -> None:
    """GET ``url`` from ``concurrency`` clients for ``seconds`` (or until SIGINT); prints
    one JSON line: requests, seconds, statuses, latency p50/p99."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, stop.set)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def seen(status: int, latency: float) -> None:
        latencies.append(latency)
        statuses[status] = statuses.get(status, 0) + 1

    print("ready", flush=True)
    began = time.perf_counter()
    until = began + seconds

    def going() -> bool:
        return not stop.is_set() and time.perf_counter() < until

    if client == "raw":
        await asyncio.gather(*(_raw_reader(url, going, seen) for _ in range(concurrency)))
    else:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def reader() -> None:
                while going():
                    sent = time.perf_counter()
                    async with http.get(url) as response:
                        await response.read()
                    seen(response.status, time.perf_counter() - sent)

            await asyncio.gather(*(reader() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "seconds": elapsed,
                "statuses": statuses,
                "p50": percentile(latencies, 50),
                "p99": percentile(latencies, 99),
            }
        ),
        flush=True,
    )


@dataclass
class Reading:
    requests: int
    seconds: float
    statuses: dict[str, int]
    p50: float
    p99: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Readers:
    """The reader process: started, then waited for (or stopped early)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    client = "aiohttp"

    @classmethod
    async def start(cls, url: str, seconds: float) -> Readers:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.hub",
            "--read",
            url,
            "--concurrency",
            str(READERS),
            "--seconds",
            str(seconds),
            "--client",
            cls.client,
            env=child_env(),
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        await process.stdout.readline()  # "ready": reading from now on
        return cls(process)

    async def result(self, stop: bool = False) -> Reading:
        if stop and self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        out, _ = await self.process.communicate()
        return Reading(**json.loads(out.decode().strip().splitlines()[-1]))


async def _rates(hub: str, bare: str, seconds: float, rounds: int) -> tuple[Reading, Reading]:
    """Alternate rounds, so whatever else the machine does weighs on both alike."""
    totals = {"hub": Reading(0, 0.0, {}, 0.0, 0.0), "bare": Reading(0, 0.0, {}, 0.0, 0.0)}
    p99s: dict[str, list[float]] = {"hub": [], "bare": []}
    for _ in range(rounds):
        for kind, url in (("hub", hub), ("bare", bare)):
            got = await (await Readers.start(f"{url}/status", seconds)).result()
            total = totals[kind]
            total.requests += got.requests
            total.seconds += got.seconds
            for status, count in got.statuses.items():
                total.statuses[status] = total.statuses.get(status, 0) + count
            p99s[kind].append(got.p99)
    for kind in totals:
        totals[kind].p99 = max(p99s[kind])
    return totals["hub"], totals["bare"]


# --- command answers -------------------------------------------------------------------


async def _commands(
    fake: FakeSlack, url: str, count: int, limit: float
) -> tuple[list[float], list[float]]:
    """``count`` signed `/incident list`, one after another (within ``limit`` seconds):
    (ack latencies, answer latencies)."""
    signer = SlackSigner(SECRET)
    acks: list[float] = []
    answers: list[float] = []
    until = time.monotonic() + limit
    async with aiohttp.ClientSession() as http:
        for _ in range(count):
            if time.monotonic() > until:
                break
            before = len(fake.responses)
            body = fake.slash_command_body("list", "UALICE", GENERAL)
            began = time.perf_counter()
            async with http.post(
                f"{url}/slack/events", data=body, headers=signer.headers(body)
            ) as got:
                await got.read()
            acks.append(time.perf_counter() - began)
            if got.status != 200:
                raise SystemExit(f"the ack was HTTP {got.status}")
            await fake.wait_for(_answered(fake, before + 1))
            answers.append(time.perf_counter() - began)
    return acks, answers


def _answered(fake: FakeSlack, count: int) -> Callable[[], bool]:
    return lambda: len(fake.responses) >= count


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:8.1f} ms"


async def main(seconds: float, rounds: int, commands: int, db: str) -> None:
    async with (
        FakeSlack(chat_write_public=True, timeout=ANSWER_WITHIN) as fake,
        database(db) as db_url,
    ):
        fake.add_channel(GENERAL, "general", members=("UALICE",))
        await _seed(db_url)
        bot, hub_url = await _start_bot(fake, db_url)
        with tempfile.TemporaryDirectory(prefix="candor-bench-") as directory:
            try:
                async with aiohttp.ClientSession() as http, http.get(f"{hub_url}/status") as got:
                    page = await got.read()
                bare, bare_url = await _start_bare(page, directory)
                try:
                    await _commands(fake, hub_url, 10, 30)  # warm-up
                    hub, floor = await _rates(hub_url, bare_url, seconds, rounds)
                finally:
                    await bare.stop()
                alone = await _commands(fake, hub_url, commands, 120)
                readers = await Readers.start(f"{hub_url}/status", 300)
                await asyncio.sleep(0.5)  # the readers are at full speed
                loaded = await _commands(fake, hub_url, commands, 120)
                during = await readers.result(stop=True)
            finally:
                await bot.stop()
    _report(db, len(page), seconds * rounds, (hub, floor), alone, loaded, during)


def _report(
    db: str,
    size: int,
    seconds: float,
    rates: tuple[Reading, Reading],
    alone: tuple[list[float], list[float]],
    loaded: tuple[list[float], list[float]],
    during: Reading,
) -> None:
    hub, floor = rates
    print(
        f"status hub, {READERS} concurrent readers ({Readers.client} client) of /status "
        f"({size:,} bytes), Candor on {db}"
    )
    print(f"{'':>24} | {'requests/s':>10} | {'p99':>10} | statuses")
    for name, got in (("hub (candor run)", hub), ("bare aiohttp handler", floor)):
        print(f"{name:>24} | {got.rate:>10,.0f} | {got.p99 * 1000:>7.1f} ms | {got.statuses}")
    print(f"ratio hub / bare: {hub.rate / floor.rate:.2f}x  ({seconds:.0f} s of reading each)")
    print()
    print(
        f"/incident list, one after another: {len(alone[1])} alone, {len(loaded[1])} with readers"
    )
    print(f"{'':>18} | {'ack p50':>11} {'ack p99':>11} | {'answer p50':>11} {'answer p99':>11}")
    for name, (acks, answers) in (("no readers", alone), (f"{READERS} readers", loaded)):
        print(
            f"{name:>18} | {_ms(acks, 50)} {_ms(acks, 99)} | {_ms(answers, 50)} {_ms(answers, 99)}"
        )
    ack_ratio = percentile(loaded[0], 99) / max(percentile(alone[0], 99), 1e-9)
    answer_ratio = percentile(loaded[1], 99) / max(percentile(alone[1], 99), 1e-9)
    print(f"p99 with readers / without: ack {ack_ratio:.2f}x, answer {answer_ratio:.2f}x")
    print(
        f"the readers meanwhile (held while a command is handled, bot/priority.py): "
        f"{during.rate:,.0f} requests/s, p50 {during.p50 * 1000:.1f} ms, "
        f"p99 {during.p99 * 1000:.1f} ms, statuses {during.statuses}"
    )


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hub", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per reading round")
    parser.add_argument("--rounds", type=int, default=3, help="alternations hub / bare")
    parser.add_argument(
        "--commands", type=int, default=200, help="per phase (enough for a p99 that is not the max)"
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--client",
        choices=("aiohttp", "raw"),
        default="aiohttp",
        help="readers: aiohttp's client, or a bare keep-alive socket loop (cheaper)",
    )
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--body-file", help=argparse.SUPPRESS)
    parser.add_argument("--read", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=READERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        asyncio.run(_serve_bare(args.serve_bare, Path(args.body_file).read_bytes()))
    elif args.read:
        asyncio.run(_read(args.read, args.concurrency, args.seconds, args.client))
    else:
        Readers.client = args.client
        asyncio.run(main(args.seconds, args.rounds, args.commands, args.db))


if __name__ == "__main__":
    cli()
