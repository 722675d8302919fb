"""Email subscriptions with double opt-in, and the signed links that manage them.

A request creates (or refreshes) a pending subscriber and mails a confirmation
link; only following it makes the address a recipient. Nothing a stranger can
see depends on whether an address is already subscribed. Links are signed with
itsdangerous: confirmation links expire after ``CONFIRM_FOR``; unsubscribe links
never do (they sit in old mails). The key is SUBSCRIPTION_SECRET, or one generated
once and kept in the database so links survive restarts.

One row per address: a second request for another scope widens the subscription
when it is confirmed (one incident + another incident → every incident), so a
person never silently loses updates they asked for.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)

from bot.publishers.mail import Sender, confirmation_mail, parse_email
from bot.publishers.smtp import Mailer, RecipientRefused
from commands.clock import Clock
from commands.domain import incident_ref
from commands.ports import DeliveryFailed
from storage import Store, Subscriber, UnitOfWork

CONFIRM_FOR = timedelta(days=3)
RESEND_AFTER = timedelta(minutes=5)  # one confirmation mail per address per 5 minutes
SECRET_NAME = "subscription_links"  # noqa: S105  (a row name, not a secret)


class LinkInvalid(Exception):
    """A link that was not made by us, or no longer points at anyone."""


class LinkExpired(LinkInvalid):
    """A confirmation link older than CONFIRM_FOR."""


class LinkStale(LinkInvalid):
    """A confirmation link older than the unsubscribe that followed it."""


class InvalidAddress(ValueError):
    pass


class UnknownIncident(ValueError):
    pass


class MailUnavailable(Exception):
    """The confirmation mail could not be sent now."""


class _ClockSigner(TimestampSigner):
    """Timestamps from the desk's clock, so expiry follows the same time as everything."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock.now().timestamp())


@dataclass(frozen=True)
class ConfirmClaim:
    subscriber_id: int
    fingerprint: str
    incident_id: int | None
    issued_at: datetime


class Tokens:
    def __init__(self, secret: str, clock: Clock) -> None:
        self._confirm = URLSafeTimedSerializer(
            secret,
            salt="candor.subscribe.confirm",
            signer=_ClockSigner,
            signer_kwargs={"clock": clock},
        )
        self._unsubscribe = URLSafeSerializer(secret, salt="candor.subscribe.unsubscribe")
        self._key = hashlib.sha256(f"candor.subscribe.address:{secret}".encode()).digest()

    def fingerprint(self, subscriber: Subscriber) -> str:
        """Binds a link to the address too (keyed, so the link does not reveal it): a
        subscriber id that ever pointed at another address cannot match an old link."""
        digest = hmac.new(self._key, subscriber.email_key.encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    def confirm(self, subscriber: Subscriber, incident_id: int | None) -> str:
        return str(self._confirm.dumps([subscriber.id, self.fingerprint(subscriber), incident_id]))

    def read_confirm(self, token: str) -> ConfirmClaim:
        try:
            payload, issued = self._confirm.loads(
                token, max_age=int(CONFIRM_FOR.total_seconds()), return_timestamp=True
            )
        except SignatureExpired as error:
            raise LinkExpired("expired") from error
        except BadSignature as error:
            raise LinkInvalid("forged or damaged") from error
        subscriber_id, fingerprint, incident_id = payload
        return ConfirmClaim(subscriber_id, fingerprint, incident_id, issued)

    def unsubscribe(self, subscriber: Subscriber) -> str:
        return str(self._unsubscribe.dumps([subscriber.id, self.fingerprint(subscriber)]))

    def read_unsubscribe(self, token: str) -> tuple[int, str]:
        try:
            subscriber_id, fingerprint = self._unsubscribe.loads(token)
        except (BadSignature, ValueError, TypeError) as error:
            raise LinkInvalid("forged or damaged") from error
        return int(subscriber_id), str(fingerprint)


class Links:
    """Absolute URLs on the status hub. ``base`` gives PUBLIC_URL, or this server's
    address once it is listening (a port chosen by the system is known only then)."""

    def __init__(self, base: Callable[[], str]) -> None:
        self.base = base

    @property
    def base_url(self) -> str:
        return self.base().rstrip("/")

    def url(self, path: str, **query: str) -> str:
        return f"{self.base_url}{path}" + (f"?{urlencode(query)}" if query else "")

    def incident(self, incident_id: int) -> str:
        return self.url(f"/status/incidents/{incident_id}")


@dataclass(frozen=True)
class Confirmed:
    email: str
    scope: str
    unsubscribe_url: str


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
        async with self.store.unit_of_work() as uow:
            await self.scope(uow, incident_id)  # refuses an unknown incident
            await uow.subscribers.claim_new(email, key, incident_id, now)
            subscriber = await uow.subscribers.by_email_key(key, for_update=True)
            assert subscriber is not None
            sent = subscriber.confirmation_sent_at
            if sent is not None and now - sent < RESEND_AFTER:
                return
            subscriber.confirmation_sent_at = now
            await uow.subscribers.save(subscriber)
            active = subscriber.confirmed_at is not None and subscriber.unsubscribed_at is None
            already = active and subscriber.incident_id in (None, incident_id)
            after = widen(subscriber.incident_id, incident_id) if active else incident_id
            scope = await self.scope(uow, after)  # what confirming will give them
        if already:
            link = self.unsubscribe_url(subscriber)
        else:
            token = self.tokens.confirm(subscriber, incident_id)
            link = self.links.url("/status/confirm", token=token)
        status_url = self.links.url("/status")
        message = confirmation_mail(self.sender, email, scope, status_url, link, already=already)
        try:
            async with self.mailer.session() as smtp:
                await smtp.send(message, email)
        except (DeliveryFailed, RecipientRefused) as error:
            await self._forget_sending(key, now)
            raise MailUnavailable(str(error)) from error

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
