"""Candor processes for tests: the real CLI (``python -m bot.cli``) in a subprocess,
its output collected, waited on with a deadline (never a sleep)."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLATFORM_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "DISCORD_BOT_TOKEN",
    "APPROVERS",
    "PUBLIC_DESTINATIONS",
    "PUBLIC_URL",
    "INCIDENTS_FEED",
    "DATABASE_URL",
    "REPLICA_NAME",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**values: str) -> dict[str, str]:
    """This environment without any Candor setting a developer may have exported."""
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    return {**env, "PYTHONUNBUFFERED": "1", **values}


class CandorProcess:
    """One ``candor`` process; stdin stays open (the console reads it)."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        assert process.stdout is not None
        self._pump = asyncio.create_task(self._read(process.stdout))

    @classmethod
    async def start(
        cls, *args: str, env: Mapping[str, str], cwd: Path, name: str = "candor"
    ) -> CandorProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**env, "PYTHONPATH": str(REPO)},
            cwd=cwd,
        )
        return cls(process, name)

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        await self.process.wait()
        self._changed.set()  # the end of output wakes waiters too

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def wait_for(self, pattern: str, limit: float = 20.0) -> None:
        async def until() -> None:
            while not any(re.search(pattern, line) for line in self.lines):
                if self.process.returncode is not None and self._pump.done():
                    raise AssertionError(f"{self.name} exited:\n{self.output}")
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), limit)
        except TimeoutError:
            raise AssertionError(f"no {pattern!r} from {self.name}:\n{self.output}") from None

    async def exited(self, limit: float = 30.0) -> int:
        code = await asyncio.wait_for(self.process.wait(), limit)
        await asyncio.wait_for(self._pump, 10)
        return code

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no last words (a lost machine)."""
        if self.process.returncode is None:
            self.process.kill()
        await self.exited(10)

    async def terminate(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
        try:
            await self.exited(15)
        except TimeoutError:
            await self.kill()
