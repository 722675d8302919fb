"""A correction reaches subscribers as its own mail (a sent mail cannot be edited),
saying which update it corrects; nobody who never got the original is told about it."""

from __future__ import annotations

from tests.email.conftest import BotStarter
from tests.email.mailbox import Mailbox
from tests.fakes.clock import FakeClock

FIX = "Only card checkouts failed; PayPal worked throughout. Next update by 13:00 UTC."


async def test_subscribers_get_the_correction_mail_once(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock
) -> None:
    bot = await start_bot()
    await bot.subscribe_and_confirm(mailbox, "ann@example.org")
    await bot.open_incident()
    await mailbox.wait_for("ann@example.org", "[INC-1] Investigating")

    clock.advance(minutes=5)
    await bot.say("alice", f"/incident INC-1 correct S1 {FIX}")
    await bot.publish("bob", "S2")
    await bot.runtime.desk.settle()  # anything still due would go now: nothing is

    [mail] = mailbox.to("ann@example.org", "[INC-1] Correction: Checkout down")
    assert "This corrects our statement of 2026-11-21 12:00 UTC." in mail.text
    assert FIX in mail.text
    assert len(mailbox.to("ann@example.org", "[INC-1]")) == 2  # the ack, then the correction
