"""A reader subscribes on the hub, confirms from the mail, gets the next approved
statement by mail, unsubscribes with one click, and gets nothing more."""

from __future__ import annotations

from datetime import timedelta
from email.headerregistry import Address
from email.utils import parsedate_to_datetime

from tests.email.conftest import CONFIRM, BotStarter
from tests.email.mailbox import Mailbox
from tests.fakes.clock import FakeClock

READER = "Reader@Example.org"
UPDATE = "[INC-1]"


async def test_subscribe_confirm_receive_unsubscribe(
    start_bot: BotStarter, mailbox: Mailbox
) -> None:
    bot = await start_bot()
    await bot.open_incident()  # S1 is public: the hub shows INC-1, with its subscribe form

    page = await bot.subscribe(READER, incident_id=1)
    assert page.status == 200 and "Check your inbox" in page.text
    confirmation = await mailbox.wait_for(READER, CONFIRM)
    assert "INC-1" in confirmation.subject
    confirm_url = confirmation.link("/status/confirm")
    assert confirm_url.startswith(f"{bot.base}/status/confirm?token=")
    asked = await bot.get(confirm_url)  # only asks: a scanner following it confirms nothing
    assert asked.status == 200 and "Confirm subscription</button>" in asked.text
    assert READER in asked.text and "INC-1" in asked.text
    confirmed = await bot.confirm(confirm_url)  # the reader presses the button
    assert confirmed.status == 200
    assert "You are subscribed" in confirmed.text and "INC-1" in confirmed.text

    await bot.subscribe("pending@example.org")  # never confirms
    await mailbox.wait_for("pending@example.org", CONFIRM)

    await bot.update("investigating", "S2")
    mail = await mailbox.wait_for(READER, UPDATE)
    body = mail.text
    assert "— Alice" in body  # the signer
    hub_link = f"{bot.base}/status/incidents/1"
    assert hub_link in body
    assert (await bot.get(hub_link)).status == 200
    assert mail.message["From"] == "Acme Status <status@acme.example>"
    reply_to = mail.message["Reply-To"].addresses[0]
    assert reply_to == Address("Alice", addr_spec="status@acme.example")
    # As sent: one plain <URL> (mail providers do not decode encoded words here).
    assert mail.raw_header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    list_unsubscribe = mail.raw_header("List-Unsubscribe")
    assert list_unsubscribe.startswith(f"<{bot.base}/status/unsubscribe?token=")
    assert list_unsubscribe.endswith(">") and " " not in list_unsubscribe
    unsubscribe_url = list_unsubscribe[1:-1]
    assert unsubscribe_url in body

    assert mailbox.to("pending@example.org", UPDATE) == []  # unconfirmed: nothing

    # What a mail client does for RFC 8058 one-click: POST the URL, this exact body.
    page = await bot.post(unsubscribe_url, "List-Unsubscribe=One-Click")
    assert page.status == 200 and "You are unsubscribed" in page.text

    await bot.update("identified", "S3")
    assert len(mailbox.to(READER, UPDATE)) == 1
    assert mailbox.to("pending@example.org", UPDATE) == []


async def test_every_mail_has_a_date_and_a_message_id(
    start_bot: BotStarter, mailbox: Mailbox, clock: FakeClock
) -> None:
    """Confirmations and updates alike: mail without them is scored as spam, and a
    server that adds its own would make a retried mail look new."""
    bot = await start_bot()
    await bot.open_incident()
    await bot.subscribe_and_confirm(mailbox, READER, incident_id=1)
    await bot.subscribe("second@example.org")
    await mailbox.wait_for("second@example.org", CONFIRM)
    await bot.update("investigating", "S2")
    await mailbox.wait_for(READER, UPDATE)

    ids = []
    for mail in mailbox.mails:
        sent_at = parsedate_to_datetime(mail.raw_header("Date"))
        assert abs(sent_at - clock.now()) < timedelta(minutes=5), mail.subject
        message_id = mail.raw_header("Message-ID")
        assert message_id.startswith("<") and message_id.endswith("@acme.example>")
        ids.append(message_id)
    assert len(mailbox.mails) >= 3  # two confirmations and an update
    assert len(set(ids)) == len(ids)


async def test_the_sign_up_form_is_on_incident_pages_where_email_is_offered(
    start_bot: BotStarter,
) -> None:
    """(tests/hub/test_pages.py: without email set up, no form that would answer 404.)"""
    bot = await start_bot()
    await bot.open_incident()
    page = await bot.get(f"{bot.base}/status/incidents/1")
    assert '<form method="post" action="/status/subscribe">' in page.text
    assert 'name="incident_id" value="1"' in page.text


async def test_a_long_statement_keeps_its_line_breaks_in_the_mail_and_on_the_hub(
    start_bot: BotStarter, mailbox: Mailbox
) -> None:
    bot = await start_bot()
    await bot.open_incident()
    await bot.subscribe_and_confirm(mailbox, READER, incident_id=1)
    words = "Card payments fail.\n\nWhat you can do:\n- retry later\n- pay by transfer\n\nNext update by 15:00 UTC."  # noqa: E501
    await bot.say("alice", f"/incident INC-1 draft {words}")
    await bot.publish("bob", "S2")
    mail = await mailbox.wait_for(READER, UPDATE)
    assert words in mail.text.replace("\r\n", "\n")  # CRLF: line ends as SMTP sends them
    page = await bot.get(f"{bot.base}/status/incidents/1")
    assert words in page.text  # shown with white-space: pre-line
