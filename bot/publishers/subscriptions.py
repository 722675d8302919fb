"""Email subscriptions with double opt-in.

A request creates (or refreshes) a pending subscriber and mails a confirmation
link; only following it makes the address a recipient. Nothing a stranger can
see depends on whether an address is already subscribed.

One row per address: a second request for another scope widens the subscription
when it is confirmed (one incident + another incident → every incident), so a
person never silently loses updates they asked for.

Abuse (issue 12): confirmation mails are limited per client, per mailbox and for
everyone (bot/publishers/throttle.py); following a link only shows a button, and the
button confirms (link scanners follow links, they do not press buttons); pending
addresses are forgotten after ``unconfirmed_for``, which is also how long a link works.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from bot.publishers.links import ConfirmClaim, LinkInvalid, Links, LinkStale, Tokens
from bot.publishers.mail import Sender, confirmation_mail, for_humans, parse_email
from bot.publishers.smtp import Mailer, RecipientRefused
from bot.publishers.throttle import MailTicket, SubscribeLimits, SubscribeThrottle
from commands import Clock, DeliveryFailed, incident_ref
from storage import Store, Subscriber, UnitOfWork

RESEND_AFTER = timedelta(minutes=5)  # one confirmation mail per address per 5 minutes
UNCONFIRMED_FOR = timedelta(hours=48)  # a pending address is kept (and its link works) this long
PURGE_EVERY = timedelta(minutes=10)  # at most this often from the subscribe path
log = logging.getLogger("candor.subscriptions")
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
class ToConfirm:
    """What pressing the button on a confirmation link's page will do."""

    email: str
    scope: str


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
        self,
        store: Store,
        clock: Clock,
        mailer: Mailer,
        sender: Sender,
        links: Links,
        *,
        limits: SubscribeLimits | None = None,
        unconfirmed_for: timedelta = UNCONFIRMED_FOR,
    ) -> None:
        self.store, self.clock, self.mailer = store, clock, mailer
        self.sender, self.links = sender, links
        self.throttle = SubscribeThrottle(limits or SubscribeLimits(), clock)
        self.unconfirmed_for = unconfirmed_for
        self._tokens: Tokens | None = None
        self._purged_at: datetime | None = None

    async def load_secret(self, configured: str | None) -> None:
        secret = configured
        if not secret:
            async with self.store.unit_of_work() as uow:
                secret = await uow.secrets.get_or_create(
                    SECRET_NAME, secrets.token_urlsafe(32), self.clock.now()
                )
        self._tokens = Tokens(secret, self.clock, confirm_for=self.unconfirmed_for)

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

    async def request(
        self, raw_email: str, incident_id: int | None, client: str | None = None
    ) -> None:
        """Ask for a subscription; mails a confirmation link (at most every RESEND_AFTER
        per address, and within the throttle's limits: TooManyRequests past them)."""
        parsed = parse_email(raw_email)
        if parsed is None:
            raise InvalidAddress(raw_email)
        email, key = parsed
        await self._purge_now_and_then()
        self.throttle.request(client)
        ticket = self.throttle.mail(key)  # nothing awaited since the check: none slips by
        now = self.clock.now()
        try:
            pending = await self._note_request(email, key, incident_id, now)
        except BaseException:
            self.throttle.give_back(ticket)
            raise
        if pending is None:
            self.throttle.give_back(ticket)
            return
        await self._send_confirmation(email, key, incident_id, pending, (ticket, now))

    async def _send_confirmation(
        self,
        email: str,
        key: str,
        incident_id: int | None,
        pending: _Pending,
        taken: tuple[MailTicket, datetime],
    ) -> None:
        ticket, now = taken
        try:
            async with self.mailer.session() as smtp:
                await smtp.send(self._confirmation(email, incident_id, pending), email)
        except (DeliveryFailed, RecipientRefused) as error:
            self.throttle.give_back(ticket)
            await self._forget_sending(key, now)
            raise MailUnavailable(str(error)) from error

    async def purge_unconfirmed(self) -> int:
        """Forget addresses nobody confirmed within ``unconfirmed_for`` (their links have
        expired by then too). Runs at start and now and then from the subscribe path."""
        now = self.clock.now()
        self._purged_at = now
        async with self.store.unit_of_work() as uow:
            purged = await uow.subscribers.purge_unconfirmed(now - self.unconfirmed_for)
        if purged:
            log.info("Forgot %d unconfirmed subscription request(s)", purged)
        return purged

    async def _purge_now_and_then(self) -> None:
        last = self._purged_at
        if last is None or self.clock.now() - last >= PURGE_EVERY:
            await self.purge_unconfirmed()

    async def _note_request(
        self, email: str, key: str, incident_id: int | None, now: datetime
    ) -> _Pending | None:
        """Create or refresh the row; None when a confirmation went out moments ago."""
        async with self.store.unit_of_work() as uow:
            await self.scope(uow, incident_id)  # refuses an incident that is not public
            await uow.subscribers.claim_new(email, key, incident_id, now)
            subscriber = await uow.subscribers.by_email_key(key, for_update=True)
            if subscriber is None:  # an old pending row, purged between the two statements
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
            self.sender,
            email,
            pending.scope,
            status_url,
            link,
            already=pending.already,
            sent_at=self.clock.now(),
            valid_for=for_humans(self.unconfirmed_for),
        )

    async def _forget_sending(self, key: str, sent_at: datetime) -> None:
        """The mail did not go: let the person try again at once."""
        async with self.store.unit_of_work() as uow:
            subscriber = await uow.subscribers.by_email_key(key, for_update=True)
            if subscriber is not None and subscriber.confirmation_sent_at == sent_at:
                subscriber.confirmation_sent_at = None
                await uow.subscribers.save(subscriber)

    async def _subscriber(
        self, uow: UnitOfWork, subscriber_id: int, fingerprint: str, *, lock: bool = True
    ) -> Subscriber:
        subscriber = await uow.subscribers.get(subscriber_id, for_update=lock)
        if subscriber is None or self.tokens.fingerprint(subscriber) != fingerprint:
            raise LinkInvalid("no such subscriber")
        return subscriber

    async def _claimed(
        self, uow: UnitOfWork, claim: ConfirmClaim, *, lock: bool = True
    ) -> Subscriber:
        subscriber = await self._subscriber(uow, claim.subscriber_id, claim.fingerprint, lock=lock)
        left = subscriber.unsubscribed_at
        if left is not None and claim.issued_at < left.replace(microsecond=0):
            raise LinkStale("issued before the unsubscribe")
        return subscriber

    async def to_confirm(self, token: str) -> ToConfirm:
        """What a confirmation link is for, changing nothing (the page with the button)."""
        claim = self.tokens.read_confirm(token)
        async with self.store.reading() as uow:
            subscriber = await self._claimed(uow, claim, lock=False)
            after = claim.incident_id
            if subscriber.confirmed_at is not None and subscriber.unsubscribed_at is None:
                after = widen(subscriber.incident_id, claim.incident_id)
            scope = await self.scope(uow, after)
        return ToConfirm(subscriber.email, scope)

    async def confirm(self, token: str) -> Confirmed:
        """The button: the address becomes a recipient (or its scope widens)."""
        claim = self.tokens.read_confirm(token)
        now = self.clock.now()
        async with self.store.unit_of_work() as uow:
            subscriber = await self._claimed(uow, claim)
            left = subscriber.unsubscribed_at
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
