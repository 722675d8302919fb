"""Email delivery never mails anyone twice: a recipient the server turns away for now
is retried alone; a wrong password fails at once, with a reason; and the settings
that cannot work stop the start with the fix."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.app import StartupError, start
from storage import Delivery, Store
from tests.email.conftest import BotStarter, email_settings
from tests.email.mailbox import Mailbox
from tests.fakes.clock import FakeClock
from tests.fakes.screen import Screen

READERS = ("ann@example.org", "bob@example.org", "cat@example.org")
UPDATE = "[INC-1]"


async def _email_delivery(store: Store, statement_id: int = 1) -> Delivery:
    """The email delivery of a statement, once its current attempt is recorded (the
    scheduler may be the one sending it: each read lets it get on)."""
    for _ in range(1000):
        async with store.unit_of_work() as uow:
            rows = (await uow.session.exec(select(Delivery))).all()
        (delivery,) = [
            d
            for d in rows
            if d.destination == "email:subscribers" and d.statement_id == statement_id
        ]
        if delivery.state != "sending":
            return delivery
    raise AssertionError(f"delivery {delivery.id} is still being sent")


async def test_a_recipient_refused_for_now_is_retried_alone(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock, store: Store
) -> None:
    bot = await start_bot()
    for reader in READERS:
        await bot.subscribe_and_confirm(mailbox, reader)
    mailbox.refuse("bob@example.org", "451 4.2.1 Mailbox busy, try again later")

    await bot.say("alice", "/incident open Checkout down sev2")
    await bot.say("alice", "/incident INC-1 approve S1")
    await bot.runtime.desk.settle()
    await mailbox.wait_for("ann@example.org", UPDATE)
    await mailbox.wait_for("cat@example.org", UPDATE)
    delivery = await _email_delivery(store)
    assert delivery.state == "pending"
    assert "1 of 3 subscribers not reached yet" in (delivery.last_error or "")
    assert "451" in (delivery.last_error or "")

    clock.advance(minutes=5)  # past the backoff
    await bot.runtime.desk.settle()
    await bot.screen.wait_for(r"S1 is public")
    assert (await _email_delivery(store)).state == "sent"
    for reader in READERS:
        assert len(mailbox.to(reader, UPDATE)) == 1, reader


async def test_a_wrong_smtp_password_fails_at_once_with_the_reason(
    database_url: str, clock: FakeClock, start_bot: BotStarter
) -> None:
    guarded = Mailbox(password="right")
    await guarded.start()
    try:
        bot = await start_bot(guarded, smtp_url=guarded.url("candor", "right"))
        await bot.subscribe_and_confirm(guarded, "reader@example.org")
        await bot.http.close()
        await bot.runtime.stop()

        bot = await start_bot(guarded, smtp_url=guarded.url("candor", "wrong"))
        page = await bot.subscribe("someone@example.org")
        assert page.status == 503 and "could not send the confirmation" in page.text
        await bot.say("alice", "/incident open Checkout down sev2")
        await bot.say("alice", "/incident INC-1 approve S1")
        await bot.runtime.desk.settle()
        await bot.screen.wait_for(r"S1 did not reach email subscribers")
        delivery = await _email_delivery(bot.runtime.store)
        assert (delivery.state, delivery.attempts) == ("failed", 1)
        assert "refused the login" in (delivery.last_error or "")
        assert "SMTP_URL" in (delivery.last_error or "")
        assert "wrong" not in bot.screen.lines[-1]  # the password is never shown
        assert guarded.to("reader@example.org", UPDATE) == []
    finally:
        await guarded.stop()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"smtp_url": None}, "SMTP_URL is not set"),
        ({"email_from": None}, "EMAIL_FROM is not set"),
        ({"smtp_url": None, "email_from": None}, "SMTP_URL and EMAIL_FROM are not set"),
        ({"email_from": "noreply@acme.example"}, "no-reply address"),
        ({"email_from": "Acme <do-not-reply@acme.example>"}, "no-reply address"),
        ({"smtp_url": "http://mail.example.com"}, "SMTP_URL should look like"),
        ({"public_destinations": "email:ops@acme.example"}, "write 'email:subscribers'"),
    ],
)
async def test_email_settings_that_cannot_work_stop_the_start(
    database_url: str, clock: FakeClock, mailbox: Mailbox, overrides: dict[str, str], expected: str
) -> None:
    settings = email_settings(database_url, mailbox, **overrides)
    with pytest.raises(StartupError, match=expected):
        await start(settings, console_write=Screen().write, clock=clock)


async def test_an_address_refused_for_good_does_not_hold_up_the_others(
    start_bot: BotStarter, mailbox: Mailbox, store: Store
) -> None:
    bot = await start_bot()
    for reader in ("ann@example.org", "gone@example.org", "cat@example.org"):
        await bot.subscribe_and_confirm(mailbox, reader)
    mailbox.refuse("gone@example.org", "550 5.1.1 No such user here")
    await bot.open_incident()
    delivery = await _email_delivery(store)
    assert (delivery.state, delivery.attempts) == ("sent", 1)
    assert delivery.external_id == "mailed 2 subscribers, 1 address(es) refused"
    assert [len(mailbox.to(r, UPDATE)) for r in READERS if r != "bob@example.org"] == [1, 1]


async def test_a_subscription_follows_its_incident_and_widens_when_asked(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock
) -> None:
    bot = await start_bot()
    await bot.open_incident()
    await bot.say("alice", "/incident open Login slow sev3")
    await bot.say("alice", "/incident INC-2 assign comms @bob")
    await bot.publish("alice", "S1", incident="INC-2")
    await bot.subscribe_and_confirm(mailbox, "one@example.org", incident_id=1)
    await bot.subscribe_and_confirm(mailbox, "all@example.org")

    await bot.update("investigating", "S2", incident="INC-2")
    assert len(mailbox.to("all@example.org", "[INC-2]")) == 1
    assert mailbox.to("one@example.org", "[INC-2]") == []  # follows INC-1 only
    await bot.update("investigating", "S2")
    assert len(mailbox.to("one@example.org", "[INC-1]")) == 1

    clock.advance(minutes=10)
    await bot.subscribe("one@example.org", incident_id=2)  # now INC-2 as well: every incident
    mail = await mailbox.wait_for("one@example.org", "all incidents")
    page = await bot.confirm(mail.link("/status/confirm"))
    assert page.status == 200 and "every update about all incidents" in page.text
    await bot.update("identified", "S3", incident="INC-2")
    assert len(mailbox.to("one@example.org", "[INC-2]")) == 1


async def test_when_every_address_is_refused_the_delivery_fails_with_the_reason(
    start_bot: BotStarter, mailbox: Mailbox, store: Store
) -> None:
    bot = await start_bot()
    await bot.subscribe_and_confirm(mailbox, "gone@example.org")
    mailbox.refuse("gone@example.org", "550 5.1.1 No such user here")
    await bot.say("alice", "/incident open Checkout down sev2")
    await bot.say("alice", "/incident INC-1 approve S1")
    await bot.runtime.desk.settle()
    await bot.screen.wait_for(r"S1 did not reach email subscribers")
    delivery = await _email_delivery(store)
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    reason = delivery.last_error or ""
    assert "refused every subscriber (1): 550 5.1.1 No such user here" in reason
