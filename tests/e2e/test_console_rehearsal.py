"""Rehearsal at the console runs on a scratch copy: the real database never holds a time
that has not come yet, whether it starts with `--rehearse` or at the first `:skip`. And
the console's channels, where you were and its message numbers outlast a restart.
The real CLI through a pipe, a real SQLite file."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from storage import Store
from tests.e2e.test_console import in_order, run_console

OPEN = "/incident open Payments failing sev2\n"


# times that say when something happened (not when something is due or promised)
PLANNED = ("due", "next", "eta", "snoozed", "promised", "fire_at")


def snapshot(database: Path) -> dict[str, tuple[int, str | None]]:
    """Each table's row count and the latest time at which something in it happened."""
    with closing(sqlite3.connect(database)) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        shot: dict[str, tuple[int, str | None]] = {}
        for (table,) in tables.fetchall():
            times = [
                row[1]
                for row in connection.execute(f"PRAGMA table_info('{table}')")
                if row[2].upper() == "DATETIME" and not any(p in row[1] for p in PLANNED)
            ]
            # table and column names come from the schema itself, not from input
            (count,) = connection.execute(f"SELECT count(*) FROM '{table}'").fetchone()  # noqa: S608
            latest = None
            if times:
                values = ", ".join(f"max({column})" for column in times)
                found = connection.execute(f"SELECT {values} FROM '{table}'").fetchone()  # noqa: S608
                latest = max((str(v) for v in found if v is not None), default=None)
            shot[table] = (count, latest)
    return shot


def test_the_first_skip_switches_to_a_rehearsal_and_the_record_keeps_no_future(
    tmp_path: Path,
) -> None:
    run_console(tmp_path, OPEN + ":react ✅ S1\n")
    before = snapshot(tmp_path / "candor.db")

    output = run_console(
        tmp_path,
        ":skip 3h\n/incident draft holding\n:react ✅ S2\n"
        "/incident resolve Fixed\n/incident list\n",
    )

    in_order(
        output,
        "switching to rehearsal",
        "a copy of the database",
        "clock moved forward 3h",
        "S2 approved by @you",
        "INC-1 resolved by @you",
    )
    assert snapshot(tmp_path / "candor.db") == before  # nothing rehearsed reached the record
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    happened = [latest for _, latest in snapshot(tmp_path / "candor.db").values() if latest]
    assert happened and max(happened) <= now  # the record holds no time yet to come
    again = run_console(tmp_path, "/incident list\n")
    assert "INC-1 SEV2 investigating" in again  # still open: the resolve was a rehearsal


def test_rehearse_from_the_start_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    run_console(tmp_path, OPEN)
    before = snapshot(tmp_path / "candor.db")

    output = run_console(
        tmp_path, "/incident open Search slow sev3\n:skip 30m\n/incident list\n", "--rehearse"
    )

    in_order(
        output, "(rehearsal: on a copy of the database", "Opened INC-2 · Search slow", "INC-2 SEV3"
    )
    assert "switching to rehearsal" not in output  # already rehearsing
    assert snapshot(tmp_path / "candor.db") == before
    assert "Search slow" not in run_console(tmp_path, "/incident list\n")


def test_channels_and_where_you_were_survive_a_restart(tmp_path: Path) -> None:
    run_console(tmp_path, OPEN + "/incident open Login broken sev3\n")

    output = run_console(
        tmp_path,
        "/incident status\n:channel inc-1-payments-failing\n:react ✅ S1\n",
    )

    in_order(
        output,
        "you@#inc-2-login-broken> /incident status",  # back where the last run ended
        "INC-2",
        "you@#inc-1-payments-failing> :react ✅ S1",
        "✅ S1 approved by @you",
        "S1 is public",
    )
    assert "No channel" not in output
    assert "No draft" not in output
    # message numbers go on: the publication is not a second m1 (m1 is INC-1's summary)
    assert "[#public] Candor (m1)" not in output
    saved = tmp_path / "candor.db-console.json"  # beside the database, its owner's only
    assert saved.stat().st_mode & 0o077 == 0


async def test_a_rehearsal_on_the_test_database_copies_it_and_leaves_it_alone(
    database_url: str, tmp_path: Path
) -> None:
    """SQLite, or PostgreSQL under CANDOR_TEST_DATABASE_URL (read into a SQLite copy)."""
    run_console(tmp_path, OPEN, database_url=database_url)
    output = run_console(
        tmp_path,
        ":skip 1h\n/incident resolve Fixed\n/incident status\n",
        database_url=database_url,
    )
    in_order(output, "(rehearsal: on a copy of the database", "INC-1 resolved by @you")
    store = Store(database_url)
    try:
        async with store.reading() as uow:
            [incident] = await uow.incidents.open_in("console", "local")
            timeline = await uow.timeline.of_incident(incident.id)
    finally:
        await store.dispose()
    assert incident.state == "investigating"  # the resolve happened in the copy only
    assert incident.resolved_at is None
    assert max(event.at for event in timeline) <= datetime.now(UTC)


def test_a_damaged_console_file_starts_the_console_afresh(tmp_path: Path) -> None:
    run_console(tmp_path, OPEN)
    (tmp_path / "candor.db-console.json").write_text('{"channels": [{"nam')

    output = run_console(tmp_path, ":channels\n/incident list\n")

    in_order(output, "you@#general> :channels", "#general", "INC-1 SEV2 investigating")
    assert "Traceback" not in output


async def test_a_rehearsal_sends_nothing_outside_the_console(tmp_path: Path) -> None:
    """Rehearsed statements are not for the public: with a webhook among the public
    destinations, an approval in a rehearsal reaches the console only."""
    import asyncio
    import os
    import sys

    from tests.fakes.webhooks import SECRET, running_receivers

    async with running_receivers() as receivers:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'candor.db'}",
            "PUBLIC_DESTINATIONS": f"webhook:{receivers.url('/hook')}",
            "WEBHOOK_SECRET": SECRET,
            "SMTP_URL": "smtp://127.0.0.1:9",
            "EMAIL_FROM": "status@example.com",
            "PYTHONUNBUFFERED": "1",
            "XDG_DATA_HOME": str(tmp_path),
        }
        for name in ("SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN", "APPROVERS"):
            env.pop(name, None)
        child = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot.cli", "console", "--rehearse"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        )
        out, err = await asyncio.wait_for(child.communicate(f"{OPEN}:react ✅ S1\n".encode()), 120)
        output = out.decode()

    assert child.returncode == 0, err.decode()
    in_order(output, "rehearsal: email, webhook off", "S1 approved by @you")
    assert receivers.hits_to("/hook") == []  # nothing left the console
    assert "127.0.0.1" not in output  # a destination's address is never shown
