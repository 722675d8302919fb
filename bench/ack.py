"""ack: how fast Slack hears back from a signed slash command, at 1, 10 and 50 requests in
flight; the same load on a bare slack_bolt app that only acks, in the same run.

    .venv/bin/python -m bench.ack [--requests 400] [--db sqlite|postgres] [--command help]

The bot runs as `candor run` (Slack over HTTP) in its own process, as the README starts
it (default settings and logging), against a fake Slack
in this one (which also takes each command's `respond()`); the bare app is a bolt
AsyncApp whose only listener acks. Latency is from sending the request to reading the
whole HTTP response (the ack). The bot keeps working after each ack (`/incident help`
or `list` reads the database and posts the answer): that work competes with the next
acks, as it would in production. The warm-up is short and concurrent, like the first
minute of real traffic (a long sequential one would absorb the pauses a user meets).
Afterwards the bot's own /metrics (internal listener) says how late its event loop woke
and how long the garbage collector stopped it. Prints figures; never passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

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
COMMAND = "help"  # what the black-box run that found the collector's pauses sent
LEVELS = (1, 10, 50)
WARM_UP = 30  # requests, WARM_UP_IN_FLIGHT at a time
WARM_UP_IN_FLIGHT = 10


async def _serve_bare(port: int, slack_api_url: str) -> None:
    """A slack_bolt app that acks /incident and does nothing else (the floor)."""
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    app = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=slack_api_url),  # noqa: S106
        signing_secret=SECRET,
    )

    @app.command("/incident")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    web_app = app.web_app(path="/slack/events")

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


@dataclass
class Target:
    """One server under load, and what was measured on it."""

    kind: str  # "candor" or "bare"
    server: Server
    url: str
    admin_url: str = ""
    sent: int = 0
    latencies: dict[int, list[float]] = field(default_factory=dict)

    @classmethod
    async def start(cls, kind: str, fake: FakeSlack, db_url: str) -> Target:
        port, admin_url = free_port(), ""
        if kind == "candor":
            admin_port = free_port()
            env = slack_bot_env(fake.base_url, db_url, port, ADMIN_HTTP_PORT=str(admin_port))
            server = await Server.spawn("-m", "bot.cli", "run", env=env)
            admin_url = f"http://127.0.0.1:{admin_port}"
        else:
            args = ("-m", "bench.ack", "--serve-bare", str(port), "--slack-api-url", fake.base_url)
            server = await Server.spawn(*args, env=child_env())
        url = f"http://127.0.0.1:{port}"
        await server.wait_http(f"{url}/healthz")
        return cls(kind, server, url, admin_url)

    async def load(self, fake: FakeSlack, concurrency: int, count: int) -> list[float]:
        """``count`` signed `/incident list` commands, ``concurrency`` at a time; the ack
        latencies. Candor's answers (respond()) have all arrived when this returns."""
        signer = SlackSigner(SECRET)
        latencies: list[float] = []
        numbers = itertools.count()
        connector = aiohttp.TCPConnector(limit=concurrency + 5)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def worker() -> None:
                while next(numbers) < count:
                    body = fake.slash_command_body(COMMAND, "UALICE", GENERAL)
                    headers = signer.headers(body)
                    began = time.perf_counter()
                    post = http.post(f"{self.url}/slack/events", data=body, headers=headers)
                    async with post as got:
                        await got.read()
                    if got.status != 200:
                        raise SystemExit(f"{self.kind}: the ack was HTTP {got.status}")
                    latencies.append(time.perf_counter() - began)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        if self.kind == "candor":  # the work behind the acks is done before going on
            self.sent += count
            await fake.wait_for(lambda: len(fake.responses) >= self.sent)
        return latencies


async def _measure(
    fake: FakeSlack, db_url: str, requests: int, rounds: int
) -> tuple[list[Target], str]:
    """Both servers up at once; per level, alternate rounds between them, so whatever
    else the machine is doing weighs on both alike. Also Candor's /metrics at the end."""
    targets = [await Target.start(kind, fake, db_url) for kind in ("candor", "bare")]
    try:
        for target in targets:
            await target.load(fake, WARM_UP_IN_FLIGHT, WARM_UP)
        for level in LEVELS:
            for _ in range(rounds):
                for target in targets:
                    latencies = await target.load(fake, level, requests // rounds)
                    target.latencies.setdefault(level, []).extend(latencies)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{targets[0].admin_url}/metrics") as got,
        ):
            metrics = await got.text()
    finally:
        for target in targets:
            await target.server.stop()
    return targets, metrics


def _pauses(metrics: str) -> list[str]:
    """The loop-lag and collector-pause histograms, in words: count, and the bucket that
    holds the 99th percentile and the largest observation (upper bounds)."""
    lines = []
    for family in text_string_to_metric_families(metrics):
        if family.name not in ("candor_event_loop_lag_seconds", "candor_gc_pause_seconds"):
            continue
        series: dict[str, list[tuple[float, float]]] = {}
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                key = sample.labels.get("generation", "")
                series.setdefault(key, []).append((float(sample.labels["le"]), sample.value))
        for key, buckets in sorted(series.items()):
            buckets.sort()
            total = buckets[-1][1]
            if not total:
                lines.append(f"{family.name}{key and f' gen {key}'}: none")
                continue
            p99 = next(le for le, n in buckets if n >= 0.99 * total)
            most = next(le for le, n in buckets if n >= total)
            lines.append(
                f"{family.name}{key and f' gen {key}'}: {total:.0f}, p99 ≤ {p99 * 1000:g} ms, "
                f"max ≤ {most * 1000:g} ms"
            )
    return lines


async def main(requests: int, db: str, rounds: int) -> None:
    async with FakeSlack(chat_write_public=True, timeout=120.0) as fake, database(db) as url:
        fake.add_channel(GENERAL, "general", members=("UALICE",))
        (candor, bare), metrics = await _measure(fake, url, requests, rounds)
    print(
        f"ack latency, {requests} signed `/incident {COMMAND}` per level, Candor on {db}, "
        f"after a warm-up of {WARM_UP} at {WARM_UP_IN_FLIGHT} in flight"
    )
    print(
        f"{'in flight':>9} | {'Candor p50':>10} {'p99':>8} | {'bare bolt p50':>13} {'p99':>8} |"
        f" {'p99 ratio':>9}"
    )
    for level in LEVELS:
        c50, c99 = (percentile(candor.latencies[level], q) * 1000 for q in (50, 99))
        b50, b99 = (percentile(bare.latencies[level], q) * 1000 for q in (50, 99))
        print(
            f"{level:>9} | {c50:>7.1f} ms {c99:>5.1f} ms | {b50:>10.1f} ms {b99:>5.1f} ms |"
            f" {c99 / b99:>8.2f}x"
        )
    print("Candor's own view of its stops (internal /metrics):")
    for line in _pauses(metrics):
        print(f"  {line}")


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ack", description=__doc__)
    parser.add_argument("--requests", type=int, default=400, help="per concurrency level")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=4, help="alternations per level")
    parser.add_argument("--command", default="help", help="the /incident subcommand sent")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--slack-api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global COMMAND
    COMMAND = args.command
    if args.serve_bare:
        asyncio.run(_serve_bare(args.serve_bare, args.slack_api_url))
    else:
        asyncio.run(main(args.requests, args.db, args.rounds))


if __name__ == "__main__":
    cli()
