"""A bot killed in the middle of mailing subscribers resumes at the next start and
mails only those it had not reached: nobody gets the statement twice.

The kill is real: the bot runs as ``candor console`` in a subprocess, the SMTP
server holds the second reader's mail at DATA, and the test SIGKILLs the process.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from storage import Delivery, EmailSend, Store
from tests.email.conftest import EMAIL_FROM, BotStarter
from tests.email.mailbox import Mailbox
from tests.fakes.clock import FakeClock

READERS = ("ann@example.org", "bob@example.org", "cat@example.org")
UPDATE = "[INC-1]"
SCRIPT = """\
:as alice
/incident INC-1 draft investigating
:as bob
/incident INC-1 approve S2r1
"""


def _console_env(database_url: str, mailbox: Mailbox) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "DISCORD_", "SUBSCRIPTION_", "HTTP_", "WEBHOOK_"))
        and name not in ("APPROVERS", "PUBLIC_DESTINATIONS", "CANDOR_CONFIG", "PUBLIC_URL")
    }
    return {
        **env,
        "DATABASE_URL": database_url,
        "SMTP_URL": mailbox.url(),
        "EMAIL_FROM": EMAIL_FROM,
        "PUBLIC_DESTINATIONS": "email:subscribers",
        "PUBLIC_URL": "http://status.example.test",
        "SMTP_CONNECTIONS": "1",  # one after another: the kill lands at a known mail
        "PYTHONUNBUFFERED": "1",
    }


async def _left_behind(database_url: str) -> tuple[dict[str, str], list[tuple[int, bool]]]:
    """What the dead process left in the database for S2: delivery states, email sends."""
    store = Store(database_url)
    try:
        async with store.unit_of_work() as uow:
            rows = (await uow.session.exec(select(Delivery))).all()
            query = select(EmailSend).where(EmailSend.statement_id == 2)
            sends = (await uow.session.exec(query)).all()
    finally:
        await store.dispose()
    deliveries = {d.destination: d.state for d in rows if d.statement_id == 2}
    return deliveries, sorted((s.subscriber_id, s.sent_at is not None) for s in sends)


async def test_a_bot_killed_mid_fan_out_mails_nobody_twice(
    start_bot: BotStarter,
    mailbox: Mailbox,
    clock: FakeClock,
    database_url: str,
    tmp_path: Path,
) -> None:
    clock.current = datetime.now(UTC)  # the console in the subprocess runs on real time
    bot = await start_bot()
    for reader in READERS:
        await bot.subscribe_and_confirm(mailbox, reader)
    await bot.open_incident()  # S1 reaches all three
    await bot.http.close()
    await bot.runtime.stop()

    held = mailbox.hold("bob@example.org")  # ann's S2 goes through; bob's waits at DATA
    output = (tmp_path / "console.txt").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "console",
        stdin=asyncio.subprocess.PIPE, stdout=output, stderr=output,
        env=_console_env(database_url, mailbox), cwd=tmp_path,
    )  # fmt: skip
    try:
        assert process.stdin is not None
        process.stdin.write(SCRIPT.encode())  # stdin stays open: the console keeps running
        await process.stdin.drain()
        try:
            await asyncio.wait_for(held.reached.wait(), 60)
        except TimeoutError:
            raise AssertionError((tmp_path / "console.txt").read_text()) from None
    finally:
        process.kill()
        await process.wait()
        output.close()
        held.release.set()
    assert [len(mailbox.to(r, UPDATE)) for r in READERS] == [2, 1, 1]
    deliveries, sends = await _left_behind(database_url)
    assert deliveries["email:subscribers"] == "sending"
    assert sends == [(1, True), (2, False)]  # ann's mail recorded; bob's claimed, not sent

    # The dead run's delivery lease (15 s) is over, its claim on bob (2 min) is not: the
    # next attempt knows the claim is an earlier attempt's and takes it over at once.
    clock.current = datetime.now(UTC) + timedelta(seconds=20)
    bot = await start_bot()
    await bot.runtime.desk.settle()
    await bot.screen.wait_for(r"S2 is public")
    assert [len(mailbox.to(r, UPDATE)) for r in READERS] == [2, 2, 2]
    s2 = [m for m in mailbox.mails if "We are investigating" in m.text]
    assert sorted(m.to for m in s2) == sorted(READERS)
    async with bot.runtime.store.unit_of_work() as uow:
        rows = (await uow.session.exec(select(Delivery))).all()
    (email,) = [d for d in rows if d.statement_id == 2 and d.destination == "email:subscribers"]
    assert (email.state, email.attempts) == ("sent", 2), "recovered on the next attempt"
