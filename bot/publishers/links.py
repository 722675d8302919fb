"""Signed links of the subscription flow, and absolute URLs on the hub.

Links are signed with itsdangerous: confirmation links expire after
``confirm_for`` (when an unconfirmed address is purged); unsubscribe links never do
(they sit in old mails). The key is SUBSCRIPTION_SECRET, or one generated once and
kept in the database so links survive restarts. Expiry follows the desk's clock,
like everything else.
"""

from __future__ import annotations

import hashlib
import hmac
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

from commands import Clock
from storage import Subscriber

CONFIRM_FOR = timedelta(hours=48)  # the default; Subscriptions passes its own


class LinkInvalid(Exception):
    """A link that was not made by us, or no longer points at anyone."""


class LinkExpired(LinkInvalid):
    """A confirmation link older than ``confirm_for``."""


class LinkStale(LinkInvalid):
    """A confirmation link older than the unsubscribe that followed it."""


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
    def __init__(self, secret: str, clock: Clock, *, confirm_for: timedelta = CONFIRM_FOR) -> None:
        self.confirm_for = confirm_for
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
                token, max_age=int(self.confirm_for.total_seconds()), return_timestamp=True
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
