"""Start-up mistakes through the real `candor run`: each ends the process with one line
on stderr that names the problem and the fix, no traceback, within a bounded time. And
at LOG_LEVEL=DEBUG the log holds no secret: not a destination URL's password or token,
not the generated subscription key."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fakes.slack import FakeSlack

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 60.0  # seconds: a bound on each child, far above what any case needs
# What a Slack that does not answer may cost after auth.test was sent: the 5-s check, and
# a wide margin for a loaded CI machine (the child's exit, interpreter shutdown), still
# well below what it was before: the client's own 30-s timeout, 33 s in all. The line
# itself must say 5 s.
SLACK_CHECK_BOUND = 20.0
PG_URL = os.environ.get(
    "CANDOR_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/x"
)


@dataclass
class Run:
    code: int
    out: str
    err: str
    ended_at: float  # time.monotonic()

    @property
    def last_line(self) -> str:
        lines = self.err.rstrip("\n").splitlines()
        return lines[-1] if lines else ""


def clean_env(**values: str) -> dict[str, str]:
    """No SLACK_/DISCORD_ tokens, no destinations, no .env: only what the case sets."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(REPO),
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        "HTTP_PORT": "0",
        "ADMIN_HTTP_PORT": "0",
    }
    return {**env, **values}


async def candor_run(cwd: Path, env: dict[str, str], stdin: bytes | None = None) -> Run:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,  # the console reads a pipe; EOF ends it
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin or b""), RUN_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode(), time.monotonic())


def assert_one_clear_line(run: Run, code: int, *fragments: str) -> None:
    """Exit ``code``; stderr ends with one `candor: …` line holding every fragment; no
    traceback. (An INFO line may come first: "starting the local console".)"""
    assert run.code == code, run.err
    assert "Traceback" not in run.err, run.err
    assert run.last_line.startswith("candor: "), run.err
    for fragment in fragments:
        assert fragment in run.last_line, run.err
    earlier = run.err.rstrip("\n").splitlines()[:-1]
    assert all(" INFO " in line or " WARNING " in line for line in earlier), run.err


@pytest.fixture
def free_port() -> int:
    """A local port nothing listens on (bound, then closed: a connection is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'candor.db'}"


async def test_an_http_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(DATABASE_URL=sqlite_url(tmp_path), HTTP_PORT=str(port))
        run = await candor_run(tmp_path, env)
    assert_one_clear_line(
        run, 1, f"HTTP_PORT {port} is in use on 127.0.0.1: stop the other process or set HTTP_PORT"
    )


async def test_an_admin_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(DATABASE_URL=sqlite_url(tmp_path), ADMIN_HTTP_PORT=str(port))
        run = await candor_run(tmp_path, env)
    assert_one_clear_line(
        run,
        1,
        f"ADMIN_HTTP_PORT {port} is in use on 127.0.0.1: stop the other process "
        "or set ADMIN_HTTP_PORT",
    )


@pytest.mark.parametrize(
    ("given", "fix"),
    [
        (
            "postgresql://candor:hunter2@127.0.0.1:5432/candor",
            "set DATABASE_URL=postgresql+asyncpg://candor:***@127.0.0.1:5432/candor",
        ),
        (
            "postgres://candor:hunter2@db.example:5433/candor?sslmode=require",
            "set DATABASE_URL=postgresql+asyncpg://candor:***@db.example:5433/candor?ssl=require",
        ),
        (
            "postgresql+psycopg2://candor@127.0.0.1/candor",
            "set DATABASE_URL=postgresql+asyncpg://candor@127.0.0.1/candor",
        ),
        ("sqlite:///./candor.db", "set DATABASE_URL=sqlite+aiosqlite:///./candor.db"),
        ("mysql://candor@127.0.0.1/candor", "postgresql+asyncpg://"),
    ],
)
async def test_a_database_url_candor_cannot_use(tmp_path: Path, given: str, fix: str) -> None:
    run = await candor_run(tmp_path, clean_env(DATABASE_URL=given))
    assert_one_clear_line(run, 2, "DATABASE_URL", fix)
    assert "hunter2" not in run.err  # the password is never repeated back
    assert run.err.count("\n") == 1  # settings are read before anything logs


def postgres_server() -> tuple[str, int]:
    parts = urlsplit(PG_URL)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def postgres_answers() -> bool:
    try:
        with socket.create_connection(postgres_server(), timeout=1):
            return True
    except OSError:
        return False


async def test_a_postgresql_database_that_does_not_exist(tmp_path: Path) -> None:
    if not postgres_answers():
        pytest.skip("no PostgreSQL at {}:{}".format(*postgres_server()))
    parts = urlsplit(PG_URL)
    url = parts._replace(path="/no_such_db_candor").geturl()
    run = await candor_run(tmp_path, clean_env(DATABASE_URL=url))
    host, port = postgres_server()
    assert_one_clear_line(
        run,
        1,
        f"PostgreSQL at {host}:{port} has no database 'no_such_db_candor'",
        "create it",
        "DATABASE_URL",
    )


async def test_a_database_that_refuses_the_connection(tmp_path: Path, free_port: int) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port}/candor"
    run = await candor_run(tmp_path, clean_env(DATABASE_URL=url))
    assert_one_clear_line(
        run,
        1,
        f"127.0.0.1:{free_port} (connection refused)",
        "start PostgreSQL there or fix the host and port in DATABASE_URL",
    )


async def test_a_sqlite_file_in_a_missing_directory(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'candor.db'}"
    run = await candor_run(tmp_path, clean_env(DATABASE_URL=url))
    assert_one_clear_line(run, 1, "SQLite cannot use", "create its directory")


def slack_env(tmp_path: Path, api_url: str) -> dict[str, str]:
    return clean_env(
        DATABASE_URL=sqlite_url(tmp_path),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET="signing-secret",
        SLACK_API_URL=api_url,
    )


@pytest.mark.parametrize("status", [502, 503])
async def test_slack_answering_5xx_at_start(tmp_path: Path, status: int) -> None:
    async with FakeSlack() as fake:
        fake.server_error("auth.test", times=100, status=status)
        run = await candor_run(tmp_path, slack_env(tmp_path, fake.base_url))
        first_call = fake.calls[0]
    assert first_call.method == "auth.test"
    assert_one_clear_line(
        run, 1, f"answered HTTP {status} to auth.test", "SLACK_API_URL", "start again shortly"
    )


async def test_slack_that_never_answers_is_given_up_on_within_five_seconds(
    tmp_path: Path,
) -> None:
    async with FakeSlack() as fake:
        fake.hold("auth.test", times=100)
        spawned = asyncio.create_task(candor_run(tmp_path, slack_env(tmp_path, fake.base_url)))
        await fake.wait_for_call("auth.test")
        asked_at = time.monotonic()
        run = await spawned
    assert run.ended_at - asked_at < SLACK_CHECK_BOUND
    assert_one_clear_line(run, 1, "Slack: no answer from", "within 5 s", "SLACK_API_URL")


async def test_slack_refusing_the_connection(tmp_path: Path, free_port: int) -> None:
    api_url = f"http://127.0.0.1:{free_port}/api/"
    run = await candor_run(tmp_path, slack_env(tmp_path, api_url))
    assert_one_clear_line(
        run, 1, f"could not reach {api_url} (connection refused)", "SLACK_API_URL"
    )


CONSOLE_SCRIPT = "/incident open Payments failing sev2\n:react ✅ S1\n"


async def test_debug_logs_hold_no_secret(tmp_path: Path, free_port: int) -> None:
    hook = f"http://hookuser:hookpass99@127.0.0.1:{free_port}/hook?token=abc123"
    webhook_key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    env = clean_env(
        LOG_LEVEL="DEBUG",
        DATABASE_URL=sqlite_url(tmp_path),
        PUBLIC_DESTINATIONS=f"webhook:{hook},email:subscribers",
        WEBHOOK_SECRET=webhook_key,
        SMTP_URL=f"smtp://mailuser:mailpass77@127.0.0.1:{free_port}",
        EMAIL_FROM="status@example.com",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.write(CONSOLE_SCRIPT.encode())
    await process.stdin.drain()
    reading = asyncio.create_task(process.communicate())
    try:  # the webhook was tried (and failed: nothing listens) before the console ends
        await asyncio.wait_for(webhook_attempted(tmp_path / "candor.db"), RUN_TIMEOUT)
    finally:
        process.stdin.close()
    out, err = await asyncio.wait_for(reading, RUN_TIMEOUT)
    log = out.decode() + err.decode()
    assert process.returncode == 0, log
    assert "Payments failing" in log and " INFO candor" in log  # it ran, and it logged
    secret = generated_subscription_secret(tmp_path / "candor.db")
    for value in ("abc123", "hookpass99", "mailpass77", webhook_key, secret):
        assert value not in log, f"{value!r} is in the log"


async def webhook_attempted(database: Path) -> None:
    query = "SELECT attempts FROM deliveries WHERE destination LIKE 'webhook:%'"
    while True:
        row = None
        try:  # mode=ro: never create the file before the bot does
            with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
                row = connection.execute(query).fetchone()
        except sqlite3.OperationalError:  # not there, or not migrated yet
            pass
        if row is not None and row[0] >= 1:
            return
        await asyncio.sleep(0.1)


def generated_subscription_secret(database: Path) -> str:
    with closing(sqlite3.connect(database)) as connection:
        (value,) = connection.execute("SELECT value FROM app_secrets").fetchone()
    assert isinstance(value, str) and len(value) >= 32
    return value


async def test_the_console_with_nothing_on_stdin_ends_cleanly(tmp_path: Path) -> None:
    """`candor run` with no platform token under a service manager (stdin /dev/null):
    the console ends at once instead of logging a traceback and waiting forever."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=sqlite_url(tmp_path)),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    assert process.returncode == 0, err.decode()
    assert "Traceback" not in err.decode() and " ERROR " not in err.decode()
