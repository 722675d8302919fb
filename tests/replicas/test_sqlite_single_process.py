"""SQLite serves one process: a second `candor` on the same file is refused with a
clear message, and the lock never outlives its process (kill -9 included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import StartupError, start
from bot.settings import Settings
from tests.fakes.clock import FakeClock
from tests.fakes.screen import Screen
from tests.replicas.processes import CandorProcess, clean_env

REFUSAL = r"Another Candor process \(pid \d+\) is already running on the SQLite database"


def _settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, http_port=0)


async def test_a_second_process_on_the_same_file_is_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'candor.db'}"
    first = await start(_settings(url), console_write=Screen().write, clock=FakeClock())
    try:
        second = await CandorProcess.start(
            "run", env=clean_env(DATABASE_URL=url, HTTP_PORT="0"), cwd=tmp_path
        )
        assert await second.exited() == 2
        assert "candor: " in second.output
        assert "stop the other one first, or run several replicas on PostgreSQL" in second.output
        assert "Traceback" not in second.output
        with pytest.raises(StartupError, match=REFUSAL):
            await start(_settings(url), console_write=Screen().write, clock=FakeClock())
    finally:
        await first.stop()
    again = await start(_settings(url), console_write=Screen().write, clock=FakeClock())
    await again.stop()  # a stopped process let go of the file


async def test_a_killed_process_leaves_no_lock_behind(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'candor.db'}"
    console = await CandorProcess.start("console", env=clean_env(DATABASE_URL=url), cwd=tmp_path)
    try:
        await console.wait_for(r"Candor console")
        with pytest.raises(StartupError, match=REFUSAL):
            await start(_settings(url), console_write=Screen().write, clock=FakeClock())
    finally:
        await console.kill()
    runtime = await start(_settings(url), console_write=Screen().write, clock=FakeClock())
    await runtime.stop()


async def test_in_memory_databases_are_private_to_their_process_and_need_no_lock() -> None:
    url = "sqlite+aiosqlite://"
    first = await start(_settings(url), console_write=Screen().write, clock=FakeClock())
    second = await start(_settings(url), console_write=Screen().write, clock=FakeClock())
    await second.stop()
    await first.stop()
