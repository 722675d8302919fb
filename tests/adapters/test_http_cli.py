"""The bot as operators run it (`python -m bot.cli run`, settings from the environment)
under a low open-file limit and with LOG_FORMAT=json: a flood of idle sockets cannot
exhaust the process's files, and every log line is one parseable JSON object."""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.adapters.slack_bot import GENERAL, SECRET
from tests.fakes.slack import FakeSlack, SlackSigner

START = 30.0  # bound for the start-up; every other wait is bounded by WAIT
WAIT = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Bot:
    process: asyncio.subprocess.Process
    url: str
    fake: FakeSlack
    log: list[str]
    admin_url: str = ""

    async def stop(self) -> str:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        assert self.process.stderr is not None
        async with asyncio.timeout(WAIT):
            rest = await self.process.stderr.read()
            await self.process.wait()
        self.log.extend(rest.decode().splitlines())
        return "\n".join(self.log)


@asynccontextmanager
async def bot_process(tmp_path: Path, nofile: int | None = None, **env: str) -> AsyncIterator[Bot]:
    async with FakeSlack() as fake:
        fake.add_channel(GENERAL, "general", members=("UALICE",))
        port, admin_port = free_port(), free_port()
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'candor.db'}",
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.base_url,
            "HTTP_PORT": str(port),
            "ADMIN_HTTP_PORT": str(admin_port),
            **env,
        }

        def limit_files() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            cwd=tmp_path,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=limit_files,
        )
        bot = Bot(process, f"http://127.0.0.1:{port}", fake, [], f"http://127.0.0.1:{admin_port}")
        try:
            assert process.stderr is not None
            async with asyncio.timeout(START):
                while not any("HTTP on" in line for line in bot.log):
                    line = await process.stderr.readline()
                    assert line, "the bot stopped:\n" + "\n".join(bot.log)
                    bot.log.append(line.decode().rstrip("\n"))
            yield bot
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def signed_help(bot: Bot, session: aiohttp.ClientSession) -> int:
    body = bot.fake.slash_command_body("help", "UALICE", GENERAL)
    headers = SlackSigner(SECRET).headers(body)
    async with session.post("/slack/events", data=body, headers=headers) as response:
        return response.status


async def test_a_flood_past_a_low_file_limit_leaves_health_and_slack_answering(
    tmp_path: Path,
) -> None:
    async with bot_process(tmp_path, nofile=256) as bot:
        host, port = "127.0.0.1", int(bot.url.rsplit(":", 1)[1])
        writers = []
        try:
            for n in range(400):  # far more than the 256 files the bot may open
                source = f"127.0.0.{2 + n % 6}"
                _, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
                writers.append(writer)
            async with (
                asyncio.timeout(WAIT),
                aiohttp.ClientSession(
                    bot.url, connector=aiohttp.TCPConnector(force_close=True)
                ) as session,
            ):
                for _ in range(3):
                    async with session.get("/healthz") as response:
                        assert response.status == 200
                    assert await signed_help(bot, session) == 200
        finally:
            for writer in writers:
                writer.close()
        log = await bot.stop()
    assert "does not fit the open-file limit (256)" in log
    assert "Too many open files" not in log
    assert len(log.splitlines()) < 40, log[-3000:]


async def test_log_format_json_writes_one_json_object_per_line(tmp_path: Path) -> None:
    async with bot_process(tmp_path, LOG_FORMAT="json") as bot:
        forged_line = "2030-01-01 00:00:00 WARNING candor: forged"
        body = f"command=%2Fincident&text=x\n{forged_line}"
        headers = SlackSigner("not-the-secret").headers(body)
        async with asyncio.timeout(WAIT), aiohttp.ClientSession(bot.url) as session:
            async with session.post("/slack/events", data=body, headers=headers) as response:
                assert response.status == 401
            assert await signed_help(bot, session) == 200
        log = await bot.stop()
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert all(isinstance(record, dict) and "message" in record for record in records)
    refused = [r for r in records if "refused POST /slack/events" in r["message"]]
    assert len(refused) == 1 and refused[0]["level"] == "WARNING"
    assert forged_line not in log


async def test_the_running_bot_reports_its_loop_lag_and_collector_pauses(tmp_path: Path) -> None:
    """What start-up built is frozen out of the collector's sight; what pauses remain
    show on the internal listener's /metrics (the probe wakes every 0.1 s)."""
    lag = re.compile(r"^candor_event_loop_lag_seconds_count (\S+)$", re.M)
    async with bot_process(tmp_path) as bot:
        async with asyncio.timeout(WAIT), aiohttp.ClientSession(bot.url) as session:
            for _ in range(5):
                assert await signed_help(bot, session) == 200
            probed = None
            while probed is None or float(probed.group(1)) < 1:
                async with session.get(f"{bot.admin_url}/metrics") as response:
                    metrics = await response.text()
                probed = lag.search(metrics)
                assert probed is not None, metrics[:2000]
        await bot.stop()
    for generation in ("0", "1", "2"):
        assert f'candor_gc_pause_seconds_count{{generation="{generation}"}}' in metrics
