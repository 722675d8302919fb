"""What Candor's mails look like: the statement mail and the confirmation mail.

Reply-To (CRISIS-COMMS practice 7: a reply reaches a human, never ``noreply@``).
Chat users have no email address Candor could trust, so a signed statement gets
``Reply-To: "<signer>" <EMAIL_FROM address>``: the reader sees who wrote it and the
reply lands in the team's own mailbox, which EMAIL_FROM must be (a no-reply address
is refused at start). An unsigned statement has no Reply-To; replies go to From.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from commands import Publication, publication_message, render_plain

NO_REPLY = re.compile(r"^(no|do[-_.]?not)[-_.]?reply", re.IGNORECASE)
# The address syntax browsers accept for <input type="email"> (WHATWG), with a dot
# required in the domain: mail to "user@localhost" from a public page is a mistake.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")


def parse_email(raw: str) -> tuple[str, str] | None:
    """A subscriber's address as typed (trimmed) and its key (casefolded), or None."""
    email = raw.strip()
    if len(email) > 254 or not EMAIL.match(email):
        return None
    return email, email.lower()


def for_humans(period: timedelta) -> str:
    """``timedelta(hours=48)`` → "2 days"; "36 hours"; "90 minutes"."""
    minutes = max(1, round(period.total_seconds() / 60))
    for unit, size in (("day", 24 * 60), ("hour", 60), ("minute", 1)):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{minutes} minutes"  # pragma: no cover  (a minute divides every count)


def one_line(text: str, limit: int = 200) -> str:
    """User text made safe for a header: no line breaks, bounded length."""
    return " ".join(text.split())[:limit]


@dataclass(frozen=True)
class Sender:
    """EMAIL_FROM, e.g. ``Acme Status <status@acme.example>``."""

    display_name: str
    address: str

    @classmethod
    def parse(cls, value: str) -> Sender:
        name, address = parseaddr(value)
        if not address or parse_email(address) is None:
            raise ValueError(
                f"EMAIL_FROM {value!r} is not an address like 'Acme Status <status@acme.example>'"
            )
        if NO_REPLY.match(address):
            raise ValueError(
                f"EMAIL_FROM {address} is a no-reply address. Readers of an incident "
                "update must be able to reply to a person (CRISIS-COMMS practice 7): "
                "use a mailbox your team reads."
            )
        return cls(one_line(name), address)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    def header(self, display_name: str | None = None) -> Address:
        local, _, domain = self.address.rpartition("@")
        name = self.display_name if display_name is None else one_line(display_name, 100)
        return Address(display_name=name, username=local, domain=domain)


@dataclass(frozen=True)
class Recipient:
    subscriber_id: int
    email: str
    scope: str  # "INC-3" or "all incidents"
    unsubscribe_url: str


def _base(
    sender: Sender, to: str, subject: str, sent_at: datetime, message_id: str
) -> EmailMessage:
    """Headers every mail carries: without ``Date`` and ``Message-ID`` spam filters score a
    mail down and some servers add their own (a retry would then look new)."""
    message = EmailMessage()
    message["From"] = sender.header()
    message["To"] = to
    message["Subject"] = one_line(subject, 250)
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    return message


def statement_mail(
    publication: Publication, links: tuple[str, str], sender: Sender, recipient: Recipient
) -> EmailMessage:
    """The approved words, their signer and the hub link, exactly as chat shows them.
    ``links`` is (the incident's hub page, the hub's front page)."""
    hub_url, status_url = links
    shown = publication_message(replace(publication, hub_url=hub_url))
    message = _base(
        sender,
        recipient.email,
        f"[{publication.incident_ref}] {shown.title or 'Update'}",
        publication.published_at,
        # The same id on every attempt: a mail client shows a duplicate only once.
        f"<candor.{publication.delivery_id}.{recipient.subscriber_id}@{sender.domain}>",
    )
    if publication.signer:
        message["Reply-To"] = sender.header(publication.signer)
    message["List-Unsubscribe"] = f"<{recipient.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    paragraphs = [shown.title or "", *(render_plain(line) for line in shown.lines)]
    text = "\n\n".join(paragraphs) + f"\n\n{shown.footer}\n"
    footer = (
        f"\n-- \nYou get these mails because you subscribed to updates about "
        f"{recipient.scope} on {status_url}\n"
        "Reply to this mail to reach the team.\n"
        f"Unsubscribe (one click): {recipient.unsubscribe_url}\n"
    )
    message.set_content(text + footer)
    return message


def confirmation_mail(
    sender: Sender,
    to: str,
    scope: str,
    status_url: str,
    link: str,
    *,
    already: bool,
    sent_at: datetime,
    valid_for: str = "2 days",
) -> EmailMessage:
    """Double opt-in: nothing is sent to this address until the link is followed and
    the button on its page pressed. ``link`` confirms; when the address already gets
    these updates, it unsubscribes (that page asks too)."""
    asked = (
        f"Someone (probably you) asked for email updates about {scope} from {status_url} "
        "to be sent to this address."
    )
    if already:
        subject = f"You already get updates about {scope}"
        text = (
            f"{asked} It already gets them, so there is nothing to do.\n\n"
            f"To stop them instead, unsubscribe: {link}\n"
        )
    else:
        subject = f"Confirm: email updates about {scope}"
        text = (
            f"{asked} To start getting them, follow this link within {valid_for} and "
            "press the button on the page it opens:\n\n"
            f"{link}\n\n"
            "If it was not you, ignore this mail: you will get nothing more from us.\n"
        )
    # A new id each time: every confirmation is a mail of its own.
    message = _base(sender, to, subject, sent_at, make_msgid("candor.confirm", sender.domain))
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(text)
    return message
