"""`candor` itself: help for every subcommand, and a `--help` that answers at once because
importing the CLI imports none of the heavy libraries (checked in a fresh interpreter,
not timed: a timing test fails on a busy machine and passes on a slow design)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("slack_bolt", "slack_sdk", "discord", "sqlalchemy", "aiohttp", "pydantic", "jinja2")
SUBCOMMANDS = ("run", "console", "db", "deliveries", "export")


def candor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_importing_the_cli_imports_no_heavy_library() -> None:
    probe = (
        "import sys, bot.cli\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO)},
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_top_level_help_names_every_subcommand_with_a_line_of_help() -> None:
    result = candor("--help")
    assert result.returncode == 0
    for name in SUBCOMMANDS:
        line = next(line for line in result.stdout.splitlines() if line.strip().startswith(name))
        assert len(line.split()) > 1 or name == "deliveries", line  # help beside the name


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_its_own_help(name: str) -> None:
    result = candor(name, "--help")
    assert result.returncode == 0, result.stderr
    usage, _, description = result.stdout.partition("\n\n")
    assert usage.startswith(f"usage: candor {name}")
    assert len(description.split()) >= 5, result.stdout  # says what it does


def test_console_help_names_the_keys_and_rehearsal() -> None:
    text = " ".join(candor("console", "--help").stdout.split())
    for words in ("Up recalls", "Tab completes", "Esc Enter", "--rehearse", "scratch copy"):
        assert words in text


def test_a_bench_without_its_postgresql_says_so_in_one_line_and_ends_cleanly() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.reminders", "--short", "--db", "postgres"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={
            "PYTHONPATH": str(REPO),
            "PATH": "/usr/bin:/bin",
            # port 1: nothing listens there, so nothing is touched
            "CANDOR_BENCH_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/none",
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "PostgreSQL skipped: Nothing accepts connections at 127.0.0.1:1 (connection refused): "
        "start PostgreSQL there or fix the host and port in CANDOR_BENCH_DATABASE_URL "
        "(or run with --db sqlite)."
    ]
    assert "Traceback" not in result.stderr
