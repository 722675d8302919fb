"""The outbox: one row per statement and public destination."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select

from storage.models import Delivery, Incident, Statement
from storage.repos._base import TIMERS_CHANGED, Repo, rowcount
from storage.states import DeliveryState


class Deliveries(Repo):
    async def add(self, delivery: Delivery) -> None:
        await self.add_all([delivery])

    async def add_all(self, deliveries: Sequence[Delivery]) -> None:
        """Write several deliveries in one flush (one INSERT for them all)."""
        self.session.add_all(deliveries)
        await self.session.flush()
        self.session.info[TIMERS_CHANGED] = True

    async def get(self, delivery_id: int) -> Delivery | None:
        return await self.session.get(Delivery, delivery_id)

    async def of_incident(self, incident_id: int) -> Sequence[Delivery]:
        """Every delivery of every statement of one incident, oldest first."""
        query = (
            select(Delivery)
            .join(Statement, col(Delivery.statement_id) == col(Statement.id))
            .where(Statement.incident_id == incident_id)
            .order_by(col(Delivery.id))
        )
        return (await self.session.exec(query)).all()

    async def of_statement(self, statement_id: int) -> Sequence[Delivery]:
        query = (
            select(Delivery).where(Delivery.statement_id == statement_id).order_by(col(Delivery.id))
        )
        return (await self.session.exec(query)).all()

    async def due_ids(self, now: datetime, limit: int = 100) -> list[int]:
        query = (
            select(Delivery.id)
            .where(Delivery.state == DeliveryState.PENDING, col(Delivery.next_attempt_at) <= now)
            .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
            .limit(limit)
        )
        return [int(i) for i in (await self.session.exec(query)).all() if i is not None]

    async def due(self, now: datetime, limit: int = 100) -> Sequence[Delivery]:
        """Pending deliveries whose time has come, oldest first."""
        query = (
            select(Delivery)
            .where(Delivery.state == DeliveryState.PENDING, col(Delivery.next_attempt_at) <= now)
            .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
            .limit(limit)
        )
        return (await self.session.exec(query)).all()

    async def listing(
        self, state: str | None = None, limit: int = 50
    ) -> list[tuple[Delivery, Statement, Incident]]:
        """The latest deliveries (optionally in one state) with their statement and incident."""
        query = (
            select(Delivery, Statement, Incident)
            .join(Statement, col(Delivery.statement_id) == col(Statement.id))
            .join(Incident, col(Statement.incident_id) == col(Incident.id))
            .order_by(col(Delivery.id).desc())
            .limit(limit)
        )
        if state is not None:
            query = query.where(Delivery.state == state)
        return [(d, s, i) for d, s, i in await self.session.exec(query)]

    async def requeue_failed(self, delivery_id: int, now: datetime) -> bool:
        """failed → pending with a fresh attempt budget (an operator's retry), atomically.
        ``attempts`` restarts at 1, not 0: an earlier attempt may have reached the
        destination, and destinations check for that whenever the attempt is past the first."""
        result = await self.session.exec(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.state) == DeliveryState.FAILED)
            .values(state=DeliveryState.PENDING, attempts=1, next_attempt_at=now, claimed_at=None)
        )
        return rowcount(result) == 1

    async def oldest_claim(self) -> datetime | None:
        """When the longest-running ``sending`` delivery was claimed (its lease runs from then)."""
        query = select(func.min(Delivery.claimed_at)).where(Delivery.state == DeliveryState.SENDING)
        return (await self.session.exec(query)).one()

    async def claim(self, delivery_id: int, now: datetime) -> bool:
        """pending → sending, for exactly one worker, and only once it is due: a worker
        that listed it earlier must not resend it at once after another recorded a failure."""
        result = await self.session.exec(
            update(Delivery)
            .where(
                col(Delivery.id) == delivery_id,
                col(Delivery.state) == DeliveryState.PENDING,
                col(Delivery.next_attempt_at) <= now,
            )
            .values(state=DeliveryState.SENDING, claimed_at=now, attempts=Delivery.attempts + 1)
        )
        return rowcount(result) == 1

    async def unclaim(self, delivery_id: int, retry_at: datetime) -> None:
        """Give back a claim taken in this transaction without sending (nothing was
        attempted): pending again, the attempt not counted, tried at ``retry_at``."""
        await self.session.exec(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.state) == DeliveryState.SENDING)
            .values(
                state=DeliveryState.PENDING,
                attempts=Delivery.attempts - 1,
                claimed_at=None,
                next_attempt_at=retry_at,
            )
        )

    async def renew(self, delivery_id: int, attempt: int, now: datetime) -> bool:
        """Extend the lease of the sender that claimed ``delivery_id`` as ``attempt``;
        False once it is no longer that sender's (sent, released, or claimed again)."""
        result = await self.session.exec(
            update(Delivery)
            .where(
                col(Delivery.id) == delivery_id,
                col(Delivery.state) == DeliveryState.SENDING,
                col(Delivery.attempts) == attempt,
            )
            .values(claimed_at=now)
        )
        return rowcount(result) == 1

    async def release_stale(self, older_than: datetime) -> int:
        """Deliveries left in ``sending`` by a process that died go back to pending."""
        result = await self.session.exec(
            update(Delivery)
            .where(
                col(Delivery.state) == DeliveryState.SENDING, col(Delivery.claimed_at) < older_than
            )
            .values(state=DeliveryState.PENDING, next_attempt_at=older_than)
        )
        return rowcount(result)

    async def save(self, delivery: Delivery) -> None:
        await self._add(delivery)

    async def next_attempt_at(self) -> datetime | None:
        query = select(func.min(Delivery.next_attempt_at)).where(
            Delivery.state == DeliveryState.PENDING
        )
        return (await self.session.exec(query)).one()

    async def count_by_state(self) -> dict[str, int]:
        """How many deliveries are in each state (states with none are left out)."""
        query = select(Delivery.state, func.count()).group_by(Delivery.state)
        return dict((await self.session.exec(query)).all())

    async def backlog(self, states: Sequence[str]) -> list[tuple[str, int, datetime | None]]:
        """(state, how many, the oldest one's creation) for each of ``states`` that has any."""
        query = (
            select(Delivery.state, func.count(), func.min(Delivery.created_at))
            .where(col(Delivery.state).in_(states))
            .group_by(Delivery.state)
        )
        return [(state, count, oldest) for state, count, oldest in await self.session.exec(query)]
