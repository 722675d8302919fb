"""The subscribe form under abuse (issue 12, finding 3): one client cannot mail-bomb a
mailbox through sub-addresses, nobody can flood the mail server, bots filling the
honeypot get nothing, link scanners confirm nothing, and requests nobody confirms
are forgotten. Every request goes to 127.0.0.1; loops are bounded."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.publishers.throttle import client_key, mailbox_key
from bot.settings import Settings
from storage import Store
from tests.email.conftest import CONFIRM, BotStarter, Page
from tests.email.mailbox import Mailbox
from tests.fakes.clock import FakeClock

DEFAULT_LIMITS = {
    name: Settings.model_fields[name].default
    for name in (
        "subscribe_per_client_per_minute",
        "subscribe_per_mailbox_per_hour",
        "subscribe_per_minute",
    )
}
UPDATE = "[INC-1]"


def test_the_default_limits_are_a_handful() -> None:
    assert DEFAULT_LIMITS == {
        "subscribe_per_client_per_minute": 5,
        "subscribe_per_mailbox_per_hour": 3,
        "subscribe_per_minute": 60,
    }
    assert Settings.model_fields["subscribe_unconfirmed_hours"].default == 48


def test_sub_addresses_and_gmail_dots_are_one_mailbox() -> None:
    assert mailbox_key("victim+7@example.com") == "victim@example.com"
    assert mailbox_key("Victim+a+b@Example.com") == "victim@example.com"
    assert mailbox_key("v.i.c.tim+x@gmail.com") == "victim@gmail.com"
    assert mailbox_key("victim@googlemail.com") == "victim@gmail.com"
    assert mailbox_key("first.last@example.com") == "first.last@example.com"  # dots matter
    assert mailbox_key("+tag@example.com") == "+tag@example.com"
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff") == "2001:db8::/64"
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"


def _retry_after(page: Page) -> int:
    seconds = int(page.headers["Retry-After"])
    assert seconds >= 1
    return seconds


def _mails_to_victim(mailbox: Mailbox) -> int:
    return sum(1 for mail in mailbox.mails if mail.to.lower().startswith("victim"))


async def test_one_client_cannot_mail_bomb_one_mailbox(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock
) -> None:
    bot = await start_bot(**DEFAULT_LIMITS)
    pages = [await bot.subscribe(f"victim+{n}@example.com") for n in range(50)]

    statuses = [page.status for page in pages]
    assert statuses == [200] * 3 + [429] * 47  # 3 mails a mailbox an hour
    # The 4th and 5th requests were this client's last of the minute, refused for the
    # mailbox (up to an hour); from the 6th on the client waits (up to a minute).
    assert all(_retry_after(page) <= 3600 for page in pages[3:5])
    assert all(_retry_after(page) <= 60 for page in pages[5:])
    assert "sent several confirmation emails to this mailbox" in pages[3].text
    refused = pages[-1]
    assert "asked for several confirmation emails in a short time" in refused.text
    assert "Please try again in" in refused.text and 'href="/status/subscribe"' in refused.text
    assert '<html lang="en">' in refused.text and '<main id="main"' in refused.text
    assert refused.headers["Cache-Control"] == "no-store"

    clock.advance(minutes=1, seconds=1)  # the client may ask again; the mailbox is full
    page = await bot.subscribe("victim+99@example.com")
    assert page.status == 429 and "this mailbox" in page.text
    await bot.subscribe("marker@example.org")  # mail is delivered in order: a marker
    await mailbox.wait_for("marker@example.org", CONFIRM)
    assert _mails_to_victim(mailbox) == 3

    clock.advance(hours=1)
    assert (await bot.subscribe("victim+100@example.com")).status == 200
    await mailbox.wait_for("victim+100@example.com", CONFIRM)


async def test_the_client_limit_is_per_client(start_bot: BotStarter, mailbox: Mailbox) -> None:
    bot = await start_bot(subscribe_per_client_per_minute=2)
    first = [await bot.subscribe(f"reader{n}@example.org") for n in range(3)]
    assert [page.status for page in first] == [200, 200, 429]

    # Another client (another loopback address) is not held up by the first one.
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as other:
        form: Any = {"email": "neighbour@example.org", "incident_id": ""}
        async with other.post(f"{bot.base}/status/subscribe", data=form) as response:
            assert response.status == 200
    await mailbox.wait_for("neighbour@example.org", CONFIRM)


async def test_the_global_cap_holds_for_every_client_together(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock
) -> None:
    bot = await start_bot(subscribe_per_minute=3)
    pages = [await bot.subscribe(f"reader{n}@example.org") for n in range(10)]
    assert [page.status for page in pages] == [200] * 3 + [429] * 7
    assert "Many people are asking" in pages[-1].text
    assert 1 <= _retry_after(pages[-1]) <= 60

    clock.advance(minutes=1)
    assert (await bot.subscribe("later@example.org")).status == 200
    await mailbox.wait_for("later@example.org", CONFIRM)
    assert len([m for m in mailbox.mails if m.to.startswith("reader")]) == 3


async def test_a_filled_honeypot_gets_the_usual_page_and_nothing_else(
    start_bot: BotStarter, mailbox: Mailbox, store: Store
) -> None:
    bot = await start_bot()
    form = await bot.get(f"{bot.base}/status/subscribe")
    assert 'name="website"' in form.text and 'class="hp" aria-hidden="true"' in form.text

    trapped = await bot.subscribe("bot@example.org", website="http://spam.example")
    person = await bot.subscribe("bot2@example.org")
    assert trapped.status == person.status == 200
    assert trapped.text.replace("bot@", "bot2@") == person.text

    await mailbox.wait_for("bot2@example.org", CONFIRM)  # mail is delivered in order
    assert mailbox.to("bot@example.org") == []
    async with store.reading() as uow:
        assert await uow.subscribers.by_email_key("bot@example.org") is None


async def test_following_the_link_confirms_nothing_the_button_does(
    start_bot: BotStarter, mailbox: Mailbox
) -> None:
    bot = await start_bot()
    await bot.open_incident()
    await bot.subscribe("reader@example.org", incident_id=1)
    link = (await mailbox.wait_for("reader@example.org", CONFIRM)).link("/status/confirm")

    for _ in range(2):  # a mail provider's link scanner, then a preview
        scanned = await bot.get(link)
        assert scanned.status == 200 and "Confirm subscription</button>" in scanned.text
        assert "You are subscribed" not in scanned.text
    await bot.update("investigating", "S2")
    assert mailbox.to("reader@example.org", UPDATE) == []  # still unconfirmed

    confirmed = await bot.confirm(link)
    assert confirmed.status == 200 and "You are subscribed" in confirmed.text
    await bot.update("identified", "S3")
    assert len(mailbox.to("reader@example.org", UPDATE)) == 1


async def test_requests_nobody_confirms_are_forgotten_after_48_hours(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock, store: Store
) -> None:
    bot = await start_bot()
    await bot.subscribe("pending@example.org")
    await bot.subscribe("asked-again@example.org")
    await bot.subscribe_and_confirm(mailbox, "kept@example.org")

    clock.advance(hours=47)
    await bot.subscribe("asked-again@example.org")  # a new link: another 48 hours
    clock.advance(hours=1, minutes=1)
    await bot.subscribe("someone@example.org")  # the subscribe path purges now and then

    async with store.reading() as uow:
        assert await uow.subscribers.by_email_key("pending@example.org") is None
        assert await uow.subscribers.by_email_key("asked-again@example.org") is not None
        assert await uow.subscribers.by_email_key("kept@example.org") is not None

    await bot.http.close()
    await bot.runtime.stop()
    clock.advance(hours=48, minutes=1)
    await start_bot()  # and the start purges too
    async with store.reading() as uow:
        assert await uow.subscribers.by_email_key("asked-again@example.org") is None
        assert await uow.subscribers.by_email_key("someone@example.org") is None
        assert await uow.subscribers.by_email_key("kept@example.org") is not None
