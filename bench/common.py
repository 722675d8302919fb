"""What the benchmarks share: databases to run on, percentiles, memory, processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from sqlalchemy import text

from storage import Store
from storage.database_url import connection_problem

REPO = Path(__file__).resolve().parents[1]
# Benchmarks never touch the test database: their own PostgreSQL database, temp SQLite files.
BENCH_PG_URL = os.environ.get(
    "CANDOR_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/candor_e"
)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: Sequence[float]) -> str:
    """p50 / p99 / max of seconds, in milliseconds."""
    return (
        f"p50 {percentile(values, 50) * 1000:7.1f} ms  p99 {percentile(values, 99) * 1000:7.1f} ms"
        f"  max {max(values, default=0) * 1000:7.1f} ms"
    )


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default), in MiB."""
    path = f"/proc/{pid or os.getpid()}/status"
    with open(path) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh, migrated database: a temp SQLite file, or the bench PostgreSQL reset."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="candor-bench-") as directory:
            url = f"sqlite+aiosqlite:///{directory}/candor.db"
            store = Store(url)
            await store.migrate()
            await store.dispose()
            yield url
        return
    store = Store(BENCH_PG_URL)
    try:
        async with store.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    except Exception as error:
        await store.dispose()
        _skip_postgres(error)
        raise
    await store.migrate()
    await store.dispose()
    yield BENCH_PG_URL


def _skip_postgres(error: Exception) -> None:
    """No PostgreSQL to run on: one line saying so, and the bench ends there (what ran on
    SQLite before it has been printed). Any other error is a bug, with its traceback."""
    problem = connection_problem(BENCH_PG_URL, error)
    if problem is None:
        return
    problem = problem.replace("DATABASE_URL", "CANDOR_BENCH_DATABASE_URL")
    print(f"PostgreSQL skipped: {problem} (or run with --db sqlite).", flush=True)
    raise SystemExit(0)


def child_env(**values: str) -> dict[str, str]:
    """The environment for a bot subprocess: nothing inherited that configures Candor."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    for name in ("DATABASE_URL", "PUBLIC_DESTINATIONS", "APPROVERS", "INCIDENTS_FEED"):
        keep.pop(name, None)
    # The internal listener (/metrics) on a free port: benches may run beside a real bot.
    keep.setdefault("ADMIN_HTTP_PORT", "0")
    return {**keep, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO), **values}


# The fake Slack's signing secret, shared by every bench that talks Slack.
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # noqa: S105


def slack_bot_env(
    slack_api_url: str, database_url: str, http_port: int, **values: str
) -> dict[str, str]:
    """``child_env`` for ``candor run`` over Slack (HTTP) against the fake at ``slack_api_url``."""
    return child_env(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-bench",  # noqa: S106
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_API_URL=slack_api_url,
        HTTP_PORT=str(http_port),
        **values,
    )


class Server:
    """A subprocess whose log goes to a file (a pipe nobody reads would fill and stall it)."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process, self.log = process, log

    @classmethod
    async def spawn(cls, *args: str, env: dict[str, str]) -> Server:
        sink, path = tempfile.mkstemp(prefix="candor-bench-", suffix=".log")
        command = [sys.executable, *args]
        profile = os.environ.get("CANDOR_BENCH_PROFILE")  # where py-spy writes a flame graph
        if profile and "bot.cli" in args:
            spy = Path(sys.executable).with_name("py-spy")
            raw = ["--format", "raw"] if profile.endswith(".txt") else []  # collapsed stacks
            command = [str(spy), "record", "--nonblocking", *raw, "-o", profile, "--", *command]
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                env=env,
                cwd=REPO,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
                start_new_session=True,  # stopped as a group (py-spy and the bot under it)
            )
        finally:
            os.close(sink)
        return cls(process, Path(path))

    async def wait_http(self, url: str, limit: float = 60) -> None:
        """Until ``url`` answers 200, or stop the benchmark with the server's log."""
        deadline = time.monotonic() + limit
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise SystemExit(f"the server exited:\n{self.log.read_text()}")
                try:
                    async with http.get(url) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise SystemExit(f"{url} did not answer within {limit} s:\n{self.log.read_text()}")

    async def stop(self) -> None:
        """Ctrl-C to the group (the bot stops cleanly; a profiler writes its report)."""
        if self.process.returncode is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # anything left under a profiler
            os.killpg(self.process.pid, signal.SIGTERM)
        if not os.environ.get("CANDOR_BENCH_KEEP_LOG"):  # kept to read what the bot logged
            self.log.unlink(missing_ok=True)
