"""The subscription pages refuse what they must: forged and expired links, bad
addresses, incidents the public has not been told about, and they never reveal
whether an address is subscribed."""

from __future__ import annotations

from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from tests.email.conftest import CONFIRM, BotStarter
from tests.email.mailbox import Mailbox
from tests.fakes.clock import FakeClock

UPDATE = "[INC-1]"


def _tampered(url: str) -> str:
    """The same link with the first character of its signature changed (the last one
    may carry only padding bits, so changing it can leave the signature intact)."""
    at = url.rindex(".") + 1
    return url[:at] + ("A" if url[at] != "A" else "B") + url[at + 1 :]


async def test_forged_and_damaged_links_are_refused_with_a_clear_page(
    start_bot: BotStarter, mailbox: Mailbox
) -> None:
    bot = await start_bot()
    await bot.subscribe("reader@example.org")
    link = (await mailbox.wait_for("reader@example.org", CONFIRM)).link("/status/confirm")

    other_key = URLSafeTimedSerializer("not-our-secret", salt="candor.subscribe.confirm")
    forged = f"{bot.base}/status/confirm?token={other_key.dumps([1, 'x' * 16, None])}"
    for url in (_tampered(link), forged, f"{bot.base}/status/confirm?token=nonsense"):
        page = await bot.get(url)
        assert page.status == 400
        assert "This link does not work" in page.text
        assert page.headers["Cache-Control"] == "no-store"
        token = url.partition("?token=")[2]
        pressed = await bot.post(f"{bot.base}/status/confirm", {"token": token})
        assert pressed.status == 400 and "This link does not work" in pressed.text

    bad = URLSafeSerializer("not-our-secret", salt="candor.subscribe.unsubscribe").dumps([1, "x"])
    for method in (bot.get, lambda url: bot.post(url, "List-Unsubscribe=One-Click")):
        page = await method(f"{bot.base}/status/unsubscribe?token={bad}")
        assert page.status == 400 and "This link does not work" in page.text

    await bot.open_incident()
    assert mailbox.to("reader@example.org", UPDATE) == []  # never confirmed: nothing


async def test_an_expired_confirmation_link_subscribes_nobody(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock
) -> None:
    bot = await start_bot()
    await bot.subscribe("late@example.org")
    link = (await mailbox.wait_for("late@example.org", CONFIRM)).link("/status/confirm")
    clock.advance(hours=48, minutes=1)
    page = await bot.get(link)
    assert page.status == 410 and "This link has expired" in page.text
    assert "work for 2 days" in page.text
    assert 'href="/status/subscribe"' in page.text  # the way to a new link
    token = link.partition("?token=")[2]
    pressed = await bot.post(f"{bot.base}/status/confirm", {"token": token})
    assert pressed.status == 410 and "This link has expired" in pressed.text

    await bot.open_incident()
    assert mailbox.to("late@example.org", UPDATE) == []

    await bot.subscribe("late@example.org")  # a new request gets a working link
    await mailbox.until(lambda: len(mailbox.to("late@example.org", CONFIRM)) == 2)
    fresh = mailbox.to("late@example.org", CONFIRM)[1].link("/status/confirm")
    assert "You are subscribed" in (await bot.confirm(fresh)).text


async def test_an_old_confirmation_link_does_not_undo_an_unsubscribe(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock
) -> None:
    bot = await start_bot()
    await bot.open_incident()
    confirmation = await bot.subscribe_and_confirm(mailbox, "fickle@example.org")
    await bot.update("investigating", "S2")
    mail = await mailbox.wait_for("fickle@example.org", UPDATE)
    clock.advance(minutes=1)
    await bot.post(mail.raw_header("List-Unsubscribe")[1:-1], "List-Unsubscribe=One-Click")

    page = await bot.get(confirmation.link("/status/confirm"))  # clicked again, later
    assert page.status == 410 and "older than your unsubscribe" in page.text
    token = confirmation.link("/status/confirm").partition("?token=")[2]
    pressed = await bot.post(f"{bot.base}/status/confirm", {"token": token})
    assert pressed.status == 410 and "older than your unsubscribe" in pressed.text
    await bot.update("identified", "S3")
    assert len(mailbox.to("fickle@example.org", UPDATE)) == 1


async def test_the_answer_does_not_reveal_whether_an_address_is_subscribed(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock
) -> None:
    bot = await start_bot()
    first = await bot.subscribe("Known@Example.org")
    link = (await mailbox.wait_for("Known@Example.org", CONFIRM)).link("/status/confirm")
    assert (await bot.confirm(link)).status == 200
    clock.advance(minutes=10)
    again = await bot.subscribe("Known@Example.org")  # now confirmed
    assert (again.status, again.text) == (first.status, first.text)

    # The address's owner, and only they, learn it was already subscribed.
    await mailbox.until(lambda: len(mailbox.to("known@example.org")) == 2)
    told = mailbox.to("known@example.org")[1]
    assert "already" in told.subject
    assert "/status/unsubscribe?token=" in told.text

    # Same address in other letters is the same subscriber: no second confirmed row.
    clock.advance(minutes=10)
    await bot.subscribe("KNOWN@example.ORG")
    await mailbox.until(lambda: len(mailbox.to("known@example.org")) == 3)
    assert "already" in mailbox.to("known@example.org")[2].subject


async def test_one_confirmation_mail_per_address_per_few_minutes(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock
) -> None:
    bot = await start_bot()
    for _ in range(5):  # someone hammering the form with a victim's address
        page = await bot.subscribe("victim@example.org")
        assert page.status == 200
    await mailbox.wait_for("victim@example.org", CONFIRM)
    await bot.subscribe("other@example.org")  # mail is delivered in order: a marker
    await mailbox.wait_for("other@example.org", CONFIRM)
    assert len(mailbox.to("victim@example.org")) == 1


async def test_mistakes_get_the_form_back_with_the_fix(
    start_bot: BotStarter, mailbox: Mailbox
) -> None:
    bot = await start_bot()
    for address in ("", "not-an-address", "a@b", "two@@example.org", "x@example.org\nBcc: y"):
        page = await bot.subscribe(address)
        assert page.status == 400, address
        assert 'role="alert"' in page.text and "name@example.com" in page.text
        assert '<label for="email">' in page.text and '<html lang="en">' in page.text

    await bot.say("alice", "/incident open Quiet one sev3")  # drafted, never published
    for incident_id in ("1", "999", "abc"):
        page = await bot.subscribe("reader@example.org", incident_id)
        assert page.status == 400 and "not on this status page" in page.text
        assert "Quiet one" not in page.text
    assert mailbox.mails == []


async def test_the_unsubscribe_link_asks_before_it_acts(
    start_bot: BotStarter, mailbox: Mailbox
) -> None:
    bot = await start_bot()
    await bot.subscribe_and_confirm(mailbox, "careful@example.org")
    await bot.open_incident()
    url = (await mailbox.wait_for("careful@example.org", UPDATE)).raw_header("List-Unsubscribe")[
        1:-1
    ]

    page = await bot.get(url)  # a link scanner or a preview fetching it changes nothing
    assert page.status == 200 and "<button" in page.text and "careful@example.org" in page.text
    await bot.update("investigating", "S2")
    assert len(mailbox.to("careful@example.org", UPDATE)) == 2

    page = await bot.post(url, {"List-Unsubscribe": "One-Click"})  # the page's button
    assert page.status == 200 and "You are unsubscribed" in page.text
    assert (await bot.post(url, "")).status == 200  # twice is fine
    await bot.update("identified", "S3")
    assert len(mailbox.to("careful@example.org", UPDATE)) == 2


async def test_the_form_names_what_you_subscribe_to(start_bot: BotStarter) -> None:
    bot = await start_bot()
    await bot.open_incident()
    page = await bot.get(f"{bot.base}/status/subscribe?incident_id=1")
    assert page.status == 200
    assert "Updates about INC-1 (Checkout down)" in page.text
    assert '<input type="hidden" name="incident_id" value="1">' in page.text
    assert '<main id="main"' in page.text and '<label for="email">' in page.text
    everything = await bot.get(f"{bot.base}/status/subscribe")
    assert "Updates about every incident" in everything.text


async def test_without_email_the_pages_say_it_is_not_offered(start_bot: BotStarter) -> None:
    bot = await start_bot(public_destinations="", smtp_url=None, email_from=None)
    for page in (
        await bot.subscribe("reader@example.org"),
        await bot.get(f"{bot.base}/status/subscribe"),
        await bot.get(f"{bot.base}/status/confirm?token=x"),
        await bot.post(f"{bot.base}/status/confirm", {"token": "x"}),
        await bot.post(f"{bot.base}/status/unsubscribe?token=x", "List-Unsubscribe=One-Click"),
    ):
        assert page.status == 404 and "Email updates are not offered here" in page.text
