"""Email subscriptions with double opt-in.

A request creates (or refreshes) a pending subscriber and mails a confirmation
link; only following it makes the address a recipient. Nothing a stranger can
see depends on whether an address is already subscribed.

One row per address: a second request for another scope widens the subscription
when it is confirmed (one incident + another incident → every incident), so a
person never silently loses updates they asked for.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from bot.publishers.links import LinkInvalid, Links, LinkStale, Tokens
from bot.publishers.mail import Sender, confirmation_mail, parse_email
from bot.publishers.smtp import Mailer, RecipientRefused
from commands.clock import Clock
from commands.domain import incident_ref
from commands.ports import DeliveryFailed
from storage import Store, Subscriber, UnitOfWork

RESEND_AFTER = timedelta(minutes=5)  # one confirmation mail per address per 5 minutes
SECRET_NAME = "subscription_links"  # noqa: S105  (a row name, not a secret)


class InvalidAddress(ValueError):
    pass


class UnknownIncident(ValueError):
    pass


class MailUnavailable(Exception):
    """The confirmation mail could not be sent now."""


@dataclass(frozen=True)
class Confirmed:
    email: str
    scope: str
    unsubscribe_url: str


@dataclass(frozen=True)
class _Pending:
    """A request that gets a mail: who, the scope confirming will give, and whether
    the address already has exactly that."""

    subscriber: Subscriber
    scope: str
    already: bool


def widen(current: int | None, requested: int | None) -> int | None:
    """The scope covering both: one incident, or None for every incident."""
    return current if current == requested else None


class Subscriptions:
    """The subscriber lifecycle: request → confirm → (mails) → unsubscribe."""

    def __init__(
        self, store: Store, clock: Clock, mailer: Mailer, sender: Sender, links: Links
    ) -> None:
        self.store, self.clock, self.mailer = store, clock, mailer
        self.sender, self.links = sender, links
        self._tokens: Tokens | None = None

    async def load_secret(self, configured: str | None) -> None:
        secret = configured
        if not secret:
            async with self.store.unit_of_work() as uow:
                secret = await uow.secrets.get_or_create(
                    SECRET_NAME, secrets.token_urlsafe(32), self.clock.now()
                )
        self._tokens = Tokens(secret, self.clock)

    @property
    def tokens(self) -> Tokens:
        assert self._tokens is not None, "load_secret() first"
        return self._tokens

    def unsubscribe_url(self, subscriber: Subscriber) -> str:
        return self.links.url("/status/unsubscribe", token=self.tokens.unsubscribe(subscriber))

    async def scope(self, uow: UnitOfWork, incident_id: int | None) -> str:
        if incident_id is None:
            return "all incidents"
        incident = await uow.incidents.public(incident_id)  # not public → not offered
        if incident is None:
            raise UnknownIncident(incident_id)
        return f"{incident_ref(incident.number)} ({incident.title})"

    async def describe_scope(self, incident_id: int | None) -> str:
        async with self.store.unit_of_work() as uow:
            return await self.scope(uow, incident_id)

    async def request(self, raw_email: str, incident_id: int | None) -> None:
        """Ask for a subscription; mails a confirmation link (at most every RESEND_AFTER)."""
        parsed = parse_email(raw_email)
        if parsed is None:
            raise InvalidAddress(raw_email)
        email, key = parsed
        now = self.clock.now()
        pending = await self._note_request(email, key, incident_id, now)
        if pending is None:
            return
        try:
            async with self.mailer.session() as smtp:
                await smtp.send(self._confirmation(email, incident_id, pending), email)
        except (DeliveryFailed, RecipientRefused) as error:
            await self._forget_sending(key, now)
            raise MailUnavailable(str(error)) from error

    async def _note_request(
        self, email: str, key: str, incident_id: int | None, now: datetime
    ) -> _Pending | None:
        """Create or refresh the row; None when a confirmation went out moments ago."""
        async with self.store.unit_of_work() as uow:
            await self.scope(uow, incident_id)  # refuses an incident that is not public
            await uow.subscribers.claim_new(email, key, incident_id, now)
            subscriber = await uow.subscribers.by_email_key(key, for_update=True)
            assert subscriber is not None
            sent = subscriber.confirmation_sent_at
            if sent is not None and now - sent < RESEND_AFTER:
                return None
            subscriber.confirmation_sent_at = now
            await uow.subscribers.save(subscriber)
            active = subscriber.confirmed_at is not None and subscriber.unsubscribed_at is None
            after = widen(subscriber.incident_id, incident_id) if active else incident_id
            already = active and after == subscriber.incident_id
            return _Pending(subscriber, await self.scope(uow, after), already)

    def _confirmation(self, email: str, incident_id: int | None, pending: _Pending) -> EmailMessage:
        """The link confirms; for an address that already gets these updates, it stops them."""
        if pending.already:
            link = self.unsubscribe_url(pending.subscriber)
        else:
            token = self.tokens.confirm(pending.subscriber, incident_id)
            link = self.links.url("/status/confirm", token=token)
        status_url = self.links.url("/status")
        return confirmation_mail(
            self.sender, email, pending.scope, status_url, link, already=pending.already
        )

    async def _forget_sending(self, key: str, sent_at: datetime) -> None:
        """The mail did not go: let the person try again at once."""
        async with self.store.unit_of_work() as uow:
            subscriber = await uow.subscribers.by_email_key(key, for_update=True)
            if subscriber is not None and subscriber.confirmation_sent_at == sent_at:
                subscriber.confirmation_sent_at = None
                await uow.subscribers.save(subscriber)

    async def _subscriber(
        self, uow: UnitOfWork, subscriber_id: int, fingerprint: str
    ) -> Subscriber:
        subscriber = await uow.subscribers.get(subscriber_id, for_update=True)
        if subscriber is None or self.tokens.fingerprint(subscriber) != fingerprint:
            raise LinkInvalid("no such subscriber")
        return subscriber

    async def confirm(self, token: str) -> Confirmed:
        claim = self.tokens.read_confirm(token)
        now = self.clock.now()
        async with self.store.unit_of_work() as uow:
            subscriber = await self._subscriber(uow, claim.subscriber_id, claim.fingerprint)
            left = subscriber.unsubscribed_at
            if left is not None and claim.issued_at < left.replace(microsecond=0):
                raise LinkStale("issued before the unsubscribe")
            if subscriber.confirmed_at is not None and left is None:
                subscriber.incident_id = widen(subscriber.incident_id, claim.incident_id)
            else:
                subscriber.incident_id = claim.incident_id
                subscriber.confirmed_at, subscriber.unsubscribed_at = now, None
            await uow.subscribers.save(subscriber)
            scope = await self.scope(uow, subscriber.incident_id)
        return Confirmed(subscriber.email, scope, self.unsubscribe_url(subscriber))

    async def unsubscriber(self, token: str) -> Subscriber:
        """Who an unsubscribe link is for (the page that asks to confirm)."""
        subscriber_id, fingerprint = self.tokens.read_unsubscribe(token)
        async with self.store.unit_of_work() as uow:
            return await self._subscriber(uow, subscriber_id, fingerprint)

    async def unsubscribe(self, token: str) -> Subscriber:
        """Stop every mail to this address (idempotent)."""
        subscriber_id, fingerprint = self.tokens.read_unsubscribe(token)
        async with self.store.unit_of_work() as uow:
            subscriber = await self._subscriber(uow, subscriber_id, fingerprint)
            if subscriber.unsubscribed_at is None:
                subscriber.unsubscribed_at = self.clock.now()
                await uow.subscribers.save(subscriber)
        return subscriber
