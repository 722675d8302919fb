"""Email subscribers as a destination (``PUBLIC_DESTINATIONS=email:subscribers``).

Every confirmed, still-subscribed reader following the incident (or every incident)
gets the approved statement, its signer and the hub link, with a one-click
unsubscribe (RFC 8058) and a Reply-To that reaches the team (see ``mail``).

Never twice: each (statement, subscriber) is claimed in ``email_sends`` before its
mail is sent and marked sent as soon as the server takes it. A retry, a delivery
resumed after the process died, or a second worker that took over the delivery's
lease skips those already sent and those another sender is mailing right now. A
claim made by an earlier attempt of the delivery (whose lease lapsed: the process
died mid-send) is taken over by the next attempt at once, as is any claim older than
``CLAIM_LEASE``. Where the process died after the server took a mail but before it
was marked sent, SMTP cannot tell us: that reader gets it again, with the same
Message-ID, so their mail client shows it once. A
recipient refused for good (5xx) is skipped; one refused for now (4xx) makes the
delivery retry later, for that recipient only.

Many subscribers, a slow server: the mails go out over ``connections`` SMTP
connections at once, each sending up to ``PER_CONNECTION`` mails before it says
goodbye and another opens. Each mail has its own deadline (``SMTP_TIMEOUT``); a
connection whose mail misses it, or that fails, is dropped, its mail's claim given
back, and the other connections carry on with the rest. Whatever is left is the
next attempt's, which mails only those still waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from bot.publishers.mail import Recipient, statement_mail
from bot.publishers.smtp import RecipientRefused, SmtpSession
from bot.publishers.subscriptions import Subscriptions
from commands import DeliveryFailed, Publication
from storage import Subscriber

log = logging.getLogger("candor.email")

KEY = "email:subscribers"


CLAIM_LEASE = timedelta(minutes=2)  # one mail takes seconds; an older claim is orphaned
CONNECTIONS = 4  # SMTP connections at once, per statement (SMTP_CONNECTIONS)
PER_CONNECTION = 50  # mails one connection sends before it makes way for a fresh one
# One attempt at the whole list: each mail has its own deadline, this only bounds the lot.
TIMEOUT = 3600.0


@dataclass
class _Tally:
    earlier: int = 0  # mailed by earlier attempts
    mailed: int = 0
    busy: int = 0
    refused: list[str] = field(default_factory=list)
    postponed: list[str] = field(default_factory=list)


class EmailDestination:
    key = KEY
    label = "email subscribers"
    timeout = TIMEOUT
    concurrency = 2  # statements (of different incidents) mailed at once

    def __init__(
        self,
        subscriptions: Subscriptions,
        *,
        connections: int = CONNECTIONS,
        per_connection: int = PER_CONNECTION,
    ) -> None:
        self.subscriptions = subscriptions
        self.connections, self.per_connection = max(1, connections), max(1, per_connection)

    async def deliver(self, publication: Publication) -> str:
        statement_id, recipients, earlier = await self._not_yet_mailed(publication)
        tally = _Tally(earlier=earlier)
        if recipients:
            await self._fan_out(publication, statement_id, recipients, tally)
        return _outcome(tally, earlier + len(recipients))

    async def _fan_out(
        self,
        publication: Publication,
        statement_id: int,
        recipients: Sequence[Subscriber],
        tally: _Tally,
    ) -> None:
        """Mail ``recipients`` over up to ``connections`` connections at once; raise the
        first connection's failure once no connection can go on."""
        waiting = deque(recipients)
        failures: list[DeliveryFailed] = []

        async def connection() -> None:
            while waiting:
                try:
                    async with self.subscriptions.mailer.session() as smtp:
                        for _ in range(self.per_connection):
                            if not waiting:
                                return
                            subscriber = waiting.popleft()
                            await self._mail_one(smtp, publication, statement_id, subscriber, tally)
                except DeliveryFailed as failure:
                    failures.append(failure)  # this connection is done; others carry on
                    return

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self.connections, len(recipients))):
                    group.create_task(connection())
        except* Exception as crashed:  # a bug, not the server: the first one, unwrapped
            raise crashed.exceptions[0] from None
        if waiting or failures:
            reached = tally.mailed + tally.earlier
            raise DeliveryFailed(
                f"{failures[0].reason} ({reached} of {tally.earlier + len(recipients)} "
                "subscribers have it; the others get it on the next attempt)",
                retryable=failures[0].retryable,
            )

    async def _mail_one(
        self,
        smtp: SmtpSession,
        publication: Publication,
        statement_id: int,
        subscriber: Subscriber,
        tally: _Tally,
    ) -> None:
        assert subscriber.id is not None
        claim = await self._claim(statement_id, subscriber.id, publication.attempt)
        if claim != "mine":
            tally.busy += claim == "busy"
            return
        try:
            await smtp.send(self._mail(publication, subscriber), subscriber.email)
        except RecipientRefused as error:
            await self._release(statement_id, subscriber.id)
            (tally.postponed if error.temporary else tally.refused).append(str(error))
            return
        except BaseException:  # the connection failed, or we are being stopped
            await asyncio.shield(self._release(statement_id, subscriber.id))
            raise
        async with self.subscriptions.store.unit_of_work() as uow:
            await uow.email_sends.mark_sent(statement_id, subscriber.id, self._now())
        tally.mailed += 1

    def _now(self) -> datetime:
        return self.subscriptions.clock.now()

    async def _not_yet_mailed(
        self, publication: Publication
    ) -> tuple[int, Sequence[Subscriber], int]:
        """The statement's id, who still needs it, and how many already got it."""
        async with self.subscriptions.store.unit_of_work() as uow:
            delivery = await uow.deliveries.get(publication.delivery_id)
            assert delivery is not None
            statement_id = delivery.statement_id
            done = await uow.email_sends.sent_to(statement_id)
            everyone = await uow.subscribers.recipients(publication.incident_id)
        remaining = [s for s in everyone if s.id not in done]
        return statement_id, remaining, len(everyone) - len(remaining)

    async def _claim(self, statement_id: int, subscriber_id: int, attempt: int) -> str:
        now = self._now()
        async with self.subscriptions.store.unit_of_work() as uow:
            return await uow.email_sends.claim(
                statement_id, subscriber_id, now, stale_before=now - CLAIM_LEASE, attempt=attempt
            )

    async def _release(self, statement_id: int, subscriber_id: int) -> None:
        async with self.subscriptions.store.unit_of_work() as uow:
            await uow.email_sends.release(statement_id, subscriber_id)

    def _mail(self, publication: Publication, subscriber: Subscriber) -> EmailMessage:
        assert subscriber.id is not None
        links = self.subscriptions.links
        recipient = Recipient(
            subscriber_id=subscriber.id,
            email=subscriber.email,
            scope=publication.incident_ref if subscriber.incident_id else "all incidents",
            unsubscribe_url=self.subscriptions.unsubscribe_url(subscriber),
        )
        hub_url = publication.hub_url or links.incident(publication.incident_id)
        return statement_mail(
            publication, (hub_url, links.url("/status")), self.subscriptions.sender, recipient
        )


def _outcome(tally: _Tally, total: int) -> str:
    """The external id of a finished delivery, or DeliveryFailed when some must wait."""
    if tally.refused:
        log.warning(
            "%d subscriber address(es) refused for good: %s", len(tally.refused), tally.refused[0]
        )
    if tally.postponed:
        raise DeliveryFailed(
            f"{len(tally.postponed)} of {total} subscribers not reached yet (the mail server "
            f"said {tally.postponed[0]}); the others got it",
            retryable=True,
        )
    if tally.refused and not (tally.earlier or tally.mailed or tally.busy):
        raise DeliveryFailed(
            f"the mail server refused every subscriber ({len(tally.refused)}): {tally.refused[0]}",
            retryable=False,
        )
    if tally.busy:
        raise DeliveryFailed(
            f"{tally.busy} of {total} subscribers are being mailed by another worker; "
            "checking again later",
            retryable=True,
        )
    mailed = tally.earlier + tally.mailed
    summary = f"mailed {mailed} subscriber{'s' if mailed != 1 else ''}"
    return summary + (f", {len(tally.refused)} address(es) refused" if tally.refused else "")
