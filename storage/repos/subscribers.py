"""Email subscribers and the mails sent to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from storage.models import EmailSend, Subscriber
from storage.repos._base import Repo, dialect_insert, locked, rowcount


class Subscribers(Repo):
    async def add(self, subscriber: Subscriber) -> Subscriber:
        await self._add(subscriber)
        return subscriber

    async def get(self, subscriber_id: int, *, for_update: bool = False) -> Subscriber | None:
        query = select(Subscriber).where(Subscriber.id == subscriber_id)
        if for_update:
            query = locked(query)
        return (await self.session.exec(query)).first()

    async def by_email_key(self, email_key: str, *, for_update: bool = False) -> Subscriber | None:
        query = select(Subscriber).where(Subscriber.email_key == email_key)
        if for_update:
            query = locked(query)
        return (await self.session.exec(query)).first()

    async def claim_new(
        self, email: str, email_key: str, incident_id: int | None, now: datetime
    ) -> None:
        """Create a pending subscriber unless the address already has a row (race-safe)."""
        statement = (
            dialect_insert(self.session)(Subscriber)
            .values(email=email, email_key=email_key, incident_id=incident_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["email_key"])
        )
        await self.session.exec(statement)

    async def recipients(self, incident_id: int) -> Sequence[Subscriber]:
        """Confirmed, still subscribed, and following this incident or every incident."""
        query = (
            select(Subscriber)
            .where(
                col(Subscriber.confirmed_at).is_not(None),
                col(Subscriber.unsubscribed_at).is_(None),
                (col(Subscriber.incident_id).is_(None)) | (Subscriber.incident_id == incident_id),
            )
            .order_by(col(Subscriber.id))
        )
        return (await self.session.exec(query)).all()

    async def purge_unconfirmed(self, before: datetime) -> int:
        """Delete never-confirmed subscribers last asked for (the latest confirmation mail,
        else the request) before ``before``; returns how many. Confirmed rows stay, even
        unsubscribed ones: old unsubscribe links still name them."""
        last_asked = func.coalesce(col(Subscriber.confirmation_sent_at), col(Subscriber.created_at))
        statement = delete(Subscriber).where(
            col(Subscriber.confirmed_at).is_(None), last_asked < before
        )
        return rowcount(await self.session.exec(statement))

    async def save(self, subscriber: Subscriber) -> None:
        await self._add(subscriber)


class EmailSends(Repo):
    async def sent_to(self, statement_id: int) -> set[int]:
        """Subscriber ids the server already took this statement for."""
        query = select(EmailSend.subscriber_id).where(
            EmailSend.statement_id == statement_id, col(EmailSend.sent_at).is_not(None)
        )
        return set((await self.session.exec(query)).all())

    async def claim(
        self,
        statement_id: int,
        subscriber_id: int,
        now: datetime,
        stale_before: datetime,
        attempt: int = 0,
    ) -> str:
        """Take the right to mail one subscriber for delivery attempt ``attempt``: "mine",
        "done" (already sent) or "busy" (a sender of this attempt holds a claim newer than
        ``stale_before``). A claim of an earlier attempt is taken over at once: that
        attempt's lease lapsed, so its sender died mid-send or has given up."""
        insert = (
            dialect_insert(self.session)(EmailSend)
            .values(
                statement_id=statement_id,
                subscriber_id=subscriber_id,
                claimed_at=now,
                attempt=attempt,
            )
            .on_conflict_do_nothing()
        )
        if rowcount(await self.session.exec(insert)) == 1:
            return "mine"
        row = await self._row(statement_id, subscriber_id)
        if row is None or row.sent_at is not None:
            return "done"
        if row.attempt >= attempt and row.claimed_at >= stale_before:
            return "busy"
        taken = await self.session.exec(
            update(EmailSend)
            .where(
                col(EmailSend.id) == row.id,
                col(EmailSend.claimed_at) == row.claimed_at,
                col(EmailSend.attempt) == row.attempt,
                col(EmailSend.sent_at).is_(None),
            )
            .values(claimed_at=now, attempt=attempt)
        )
        return "mine" if rowcount(taken) == 1 else "busy"

    async def mark_sent(self, statement_id: int, subscriber_id: int, now: datetime) -> None:
        await self.session.exec(
            update(EmailSend)
            .where(
                col(EmailSend.statement_id) == statement_id,
                col(EmailSend.subscriber_id) == subscriber_id,
            )
            .values(sent_at=now)
        )

    async def release(self, statement_id: int, subscriber_id: int) -> None:
        """Give up a claim whose mail did not go, so a retry may try again."""
        await self.session.exec(
            delete(EmailSend).where(
                col(EmailSend.statement_id) == statement_id,
                col(EmailSend.subscriber_id) == subscriber_id,
                col(EmailSend.sent_at).is_(None),
            )
        )

    async def _row(self, statement_id: int, subscriber_id: int) -> EmailSend | None:
        query = (
            select(EmailSend)
            .where(EmailSend.statement_id == statement_id, EmailSend.subscriber_id == subscriber_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.exec(query)).first()
