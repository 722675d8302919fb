"""A new user at the console, typing through stdin: open → approve the ack →
published → reminded → resolve → resolution published. The real CLI, a real
SQLite file, the real scheduler; the console's :skip moves the clock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """\
/incident open Payments failing sev2
:react ✅ S1
:skip 26m
/incident assign comms @dana
/incident resolve Rolled back the bad deploy
:as dana
:react ✅ S2
/incident list
"""


def run_console(tmp_path: Path, script: str, *args: str, database_url: str = "") -> str:
    env = {
        **os.environ,
        "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp_path / 'candor.db'}",
        "PYTHONUNBUFFERED": "1",
        "XDG_DATA_HOME": str(tmp_path),  # the console's files, for a PostgreSQL database
    }
    for name in ("SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN", "APPROVERS", "PUBLIC_DESTINATIONS"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", *args],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def in_order(output: str, *fragments: str) -> None:
    position = 0
    for fragment in fragments:
        found = output.find(fragment, position)
        assert found >= 0, f"missing (in order): {fragment!r}\n---\n{output}"
        position = found + len(fragment)


def test_the_whole_loop_at_the_console(tmp_path: Path) -> None:
    output = run_console(tmp_path, SCRIPT)
    in_order(
        output,
        "(channel #inc-1-payments-failing created)",
        "[#incidents]",
        "Opened INC-1 · Payments failing",
        "(you are now in #inc-1-payments-failing)",
        "✅ S1 approved by @you",
        "[#public]",
        "We are aware of an issue affecting Payments failing",
        "S1 is public",
        "the next public update for INC-1 is due at",
        "@dana is now comms",
        "INC-1 resolved by @you",
        "S2 approved by @dana",
        "[#public]",
        "The issue affecting Payments failing is resolved",
        "Rolled back the bad deploy",
        "No open incidents",
    )
    assert "Traceback" not in output


def test_mistakes_at_the_console_get_the_fix_and_change_nothing(tmp_path: Path) -> None:
    output = run_console(
        tmp_path,
        "/incident opne Payments\n/incident status\n/incident open\n:react ✅ S9\n/incident list\n",
    )
    in_order(
        output,
        "There is no command `opne`",
        "Did you mean `open`?",
        "This is not an incident channel",
        "Give the incident a title",
        "No draft S9",
        "No open incidents",
    )
