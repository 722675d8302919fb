"""The non-chat destinations assembled from Settings, registered by prefix like a chat
platform's (``bot.adapters.DestinationKind``): ``webhook:`` and ``email:``; for email also
the subscription service behind the hub's subscribe pages, and its signing key.
A new kind of destination (``mastodon:``, ``telegram:``...) is one more entry in
``Publishers.kinds``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.adapters import DestinationKind
from bot.publishers.email import EmailDestination
from bot.publishers.links import Links
from bot.publishers.mail import Sender
from bot.publishers.smtp import Mailer, SmtpConfig, SmtpUrlError
from bot.publishers.subscriptions import Subscriptions
from bot.publishers.throttle import SubscribeLimits
from bot.publishers.webhook import Webhooks
from bot.settings import Settings
from commands import Clock
from storage import Store


class EmailConfigError(ValueError):
    """Email is asked for but cannot work with these settings; says what to set."""


class EmailPublishing:
    """Nothing is connected until a statement or a confirmation mail is sent."""

    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings, self.store, self.clock = settings, store, clock
        self.links = Links(lambda: settings.hub_base_url)
        self.subscriptions: Subscriptions | None = None  # set when email:subscribers is on

    def destination(self, target: str) -> EmailDestination:
        """The factory for ``PUBLIC_DESTINATIONS`` entries ``email:…``."""
        if target.strip().lower() != "subscribers":
            raise EmailConfigError(
                f"PUBLIC_DESTINATIONS entry 'email:{target}' is not understood: write "
                "'email:subscribers' to mail every confirmed subscriber of the status hub."
            )
        settings = self.settings
        if settings.smtp_url is None or not settings.email_from:
            given = {
                "SMTP_URL": settings.smtp_url is not None,
                "EMAIL_FROM": bool(settings.email_from),
            }
            missing = [name for name, ok in given.items() if not ok]
            raise EmailConfigError(
                f"PUBLIC_DESTINATIONS has 'email:subscribers' but {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set. Set SMTP_URL (e.g. "
                "smtp://user:password@mail.example.com:587) and EMAIL_FROM (a mailbox your "
                "team reads, e.g. 'Acme Status <status@acme.example>')."
            )
        try:
            config = SmtpConfig.parse(settings.smtp_url.get_secret_value())
            sender = Sender.parse(settings.email_from)
        except (SmtpUrlError, ValueError) as error:
            raise EmailConfigError(str(error)) from error
        if self.subscriptions is None:
            mailer = Mailer(config, sender.address, message_timeout=settings.smtp_timeout)
            self.subscriptions = Subscriptions(
                self.store,
                self.clock,
                mailer,
                sender,
                self.links,
                limits=SubscribeLimits(
                    per_client_per_minute=settings.subscribe_per_client_per_minute,
                    per_mailbox_per_hour=settings.subscribe_per_mailbox_per_hour,
                    per_minute=settings.subscribe_per_minute,
                ),
                unconfirmed_for=timedelta(hours=settings.subscribe_unconfirmed_hours),
            )
        return EmailDestination(self.subscriptions, connections=settings.smtp_connections)

    async def start(self, base_url: Callable[[], str]) -> None:
        """Once the database is ready: load (or create) the link-signing key and forget
        subscription requests nobody confirmed in time.
        ``base_url`` gives the hub's public address (known only once the server listens)."""
        self.links.base = base_url
        if self.subscriptions is not None:
            secret = self.settings.subscription_secret
            await self.subscriptions.load_secret(secret.get_secret_value() if secret else None)
            await self.subscriptions.purge_unconfirmed()


class Publishers:
    """Every non-chat destination kind; ``close`` when the couriers are done."""

    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        self.webhooks = Webhooks(secret, timeout=settings.webhook_timeout)
        self.email = EmailPublishing(settings, store, clock)

    def kinds(self) -> dict[str, DestinationKind]:
        return {
            "webhook": DestinationKind(self.webhooks.destination, "<https url>", "webhooks"),
            "email": DestinationKind(self.email.destination, "subscribers", "email"),
        }

    async def close(self) -> None:
        await self.webhooks.close()
