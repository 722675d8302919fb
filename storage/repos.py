"""Queries, grouped by table, used inside one unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Select, delete, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Approval,
    AppSecret,
    Delivery,
    EmailSend,
    Incident,
    ProcessedEvent,
    Reminder,
    RoleAssignment,
    Statement,
    StatementRevision,
    Subscriber,
    Task,
    TimelineEvent,
)
from storage.timers import Timers

OPEN_STATES = ("investigating", "identified", "monitoring")
PUBLISHED = "published"
_Query = TypeVar("_Query", bound=Select[Any])


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _add(self, row: Any) -> None:
        self.session.add(row)
        await self.session.flush()


def _locked(query: _Query) -> _Query:
    """SELECT ... FOR UPDATE whose result overwrites an object this session already
    loaded: the row as locked (perhaps just changed by another transaction), not a stale copy."""
    return query.with_for_update().execution_options(populate_existing=True)


class Incidents(_Repo):
    async def add(self, incident: Incident) -> Incident:
        await self._add(incident)
        return incident

    async def next_number(self, platform: str, workspace_id: str) -> int:
        query = select(func.max(Incident.number)).where(
            Incident.platform == platform, Incident.workspace_id == workspace_id
        )
        return int((await self.session.exec(query)).one() or 0) + 1

    async def get(self, incident_id: int, *, for_update: bool = False) -> Incident | None:
        query = select(Incident).where(Incident.id == incident_id)
        if for_update:
            query = _locked(query)
        return (await self.session.exec(query)).first()

    async def by_channel(self, platform: str, channel_id: str) -> Incident | None:
        query = select(Incident).where(
            Incident.platform == platform, Incident.channel_id == channel_id
        )
        return (await self.session.exec(query)).first()

    async def numbered(self, number: int) -> Sequence[Incident]:
        """Every incident with this number, in any workspace (numbers are per workspace)."""
        query = (
            select(Incident)
            .where(Incident.number == number)
            .order_by(col(Incident.platform), col(Incident.workspace_id))
        )
        return (await self.session.exec(query)).all()

    async def by_number(self, platform: str, workspace_id: str, number: int) -> Incident | None:
        query = select(Incident).where(
            Incident.platform == platform,
            Incident.workspace_id == workspace_id,
            Incident.number == number,
        )
        return (await self.session.exec(query)).first()

    async def open_in(self, platform: str, workspace_id: str) -> Sequence[Incident]:
        query = (
            select(Incident)
            .where(
                Incident.platform == platform,
                Incident.workspace_id == workspace_id,
                col(Incident.state).in_(OPEN_STATES),
            )
            .order_by(col(Incident.number))
        )
        return (await self.session.exec(query)).all()

    async def save(self, incident: Incident) -> None:
        await self._add(incident)

    async def recent_public(self, since: datetime) -> Sequence[Incident]:
        """Incidents the public has been told about (at least one published statement)
        that are open, or were last updated publicly at or after ``since`` (the public may
        not know yet what the team knows: callers decide from what was published); latest
        public update first."""
        query = (
            select(Incident)
            .where(
                col(Incident.id).in_(_with_published_statement()),
                or_(
                    col(Incident.state).in_(OPEN_STATES),
                    col(Incident.last_public_update_at) >= since,
                ),
            )
            .order_by(col(Incident.last_public_update_at).desc(), col(Incident.id).desc())
        )
        return (await self.session.exec(query)).all()

    async def public(self, incident_id: int) -> Incident | None:
        """The incident, if the public has been told about it; else None."""
        query = select(Incident).where(
            Incident.id == incident_id, col(Incident.id).in_(_with_published_statement())
        )
        return (await self.session.exec(query)).first()


def _with_published_statement() -> Any:
    return select(Statement.incident_id).where(Statement.state == PUBLISHED).distinct()


class Roles(_Repo):
    async def current(self, incident_id: int) -> Sequence[RoleAssignment]:
        query = (
            select(RoleAssignment)
            .where(
                RoleAssignment.incident_id == incident_id, col(RoleAssignment.ended_at).is_(None)
            )
            .order_by(col(RoleAssignment.id))
        )
        return (await self.session.exec(query)).all()

    async def history(self, incident_id: int) -> Sequence[RoleAssignment]:
        """Every assignment, ended ones included, in the order they were made."""
        query = (
            select(RoleAssignment)
            .where(RoleAssignment.incident_id == incident_id)
            .order_by(col(RoleAssignment.assigned_at), col(RoleAssignment.id))
        )
        return (await self.session.exec(query)).all()

    async def holder(self, incident_id: int, role: str) -> str | None:
        for assignment in await self.current(incident_id):
            if assignment.role == role:
                return assignment.user_id
        return None

    async def unassign(self, incident_id: int, role: str, now: datetime) -> str | None:
        """End ``role``; returns whoever held it (None: nobody did)."""
        ended = None
        for assignment in await self.current(incident_id):
            if assignment.role == role:
                ended, assignment.ended_at = assignment.user_id, now
                self.session.add(assignment)
        return ended

    async def assign(
        self, incident_id: int, role: str, user_id: str, by: str, now: datetime
    ) -> str | None:
        """Give ``role`` to ``user_id``; returns whoever held it before."""
        previous = None
        for assignment in await self.current(incident_id):
            if assignment.role == role:
                previous = assignment.user_id
                assignment.ended_at = now
                self.session.add(assignment)
        await self._add(
            RoleAssignment(
                incident_id=incident_id, role=role, user_id=user_id, assigned_by=by, assigned_at=now
            )
        )
        return previous


class Tasks(_Repo):
    async def next_number(self, incident_id: int) -> int:
        query = select(func.max(Task.number)).where(Task.incident_id == incident_id)
        return int((await self.session.exec(query)).one() or 0) + 1

    async def add(self, task: Task) -> Task:
        await self._add(task)
        return task

    async def get(self, task_id: int) -> Task | None:
        return await self.session.get(Task, task_id)

    async def by_number(self, incident_id: int, number: int) -> Task | None:
        query = select(Task).where(Task.incident_id == incident_id, Task.number == number)
        return (await self.session.exec(query)).first()

    async def of_incident(self, incident_id: int) -> Sequence[Task]:
        query = select(Task).where(Task.incident_id == incident_id).order_by(col(Task.number))
        return (await self.session.exec(query)).all()

    async def save(self, task: Task) -> None:
        await self._add(task)


class Statements(_Repo):
    async def next_number(self, incident_id: int) -> int:
        query = select(func.max(Statement.number)).where(Statement.incident_id == incident_id)
        return int((await self.session.exec(query)).one() or 0) + 1

    async def add(self, statement: Statement, edited_by: str) -> StatementRevision:
        await self._add(statement)
        assert statement.id is not None
        revision = StatementRevision(
            statement_id=statement.id,
            revision=statement.revision,
            body=statement.body,
            content_hash=statement.content_hash,
            edited_by=edited_by,
            created_at=statement.created_at,
        )
        await self._add(revision)
        return revision

    async def add_revision(self, revision: StatementRevision) -> None:
        await self._add(revision)

    async def get(self, statement_id: int, *, for_update: bool = False) -> Statement | None:
        query = select(Statement).where(Statement.id == statement_id)
        if for_update:
            query = _locked(query)
        return (await self.session.exec(query)).first()

    async def by_number(
        self, incident_id: int, number: int, *, for_update: bool = False
    ) -> Statement | None:
        query = select(Statement).where(
            Statement.incident_id == incident_id, Statement.number == number
        )
        if for_update:
            query = _locked(query)
        return (await self.session.exec(query)).first()

    async def of_incident(self, incident_id: int) -> Sequence[Statement]:
        query = (
            select(Statement)
            .where(Statement.incident_id == incident_id)
            .order_by(col(Statement.number))
        )
        return (await self.session.exec(query)).all()

    async def published_of(self, incident_id: int) -> Sequence[Statement]:
        """What the public was told about one incident, newest first."""
        return await self.published_in([incident_id])

    async def published_in(self, incident_ids: Sequence[int]) -> Sequence[Statement]:
        """Published statements of several incidents, newest first."""
        if not incident_ids:
            return []
        query = (
            select(Statement)
            .where(col(Statement.incident_id).in_(incident_ids), Statement.state == PUBLISHED)
            .order_by(*_newest_first())
        )
        return (await self.session.exec(query)).all()

    async def published_recent(self, limit: int) -> list[tuple[Statement, Incident]]:
        """The latest published statements of every incident, newest first."""
        query = (
            select(Statement, Incident)
            .join(Incident, col(Statement.incident_id) == col(Incident.id))
            .where(Statement.state == PUBLISHED)
            .order_by(*_newest_first())
            .limit(limit)
        )
        return [(statement, incident) for statement, incident in await self.session.exec(query)]

    async def revision(self, statement_id: int, revision: int) -> StatementRevision | None:
        query = select(StatementRevision).where(
            StatementRevision.statement_id == statement_id,
            StatementRevision.revision == revision,
        )
        return (await self.session.exec(query)).first()

    async def revisions(self, statement_id: int, up_to: int) -> Sequence[StatementRevision]:
        """Every wording of a statement up to ``up_to``, oldest first."""
        query = (
            select(StatementRevision)
            .where(
                StatementRevision.statement_id == statement_id,
                StatementRevision.revision <= up_to,
            )
            .order_by(col(StatementRevision.revision))
        )
        return (await self.session.exec(query)).all()

    async def revision_by_message(
        self, channel_id: str, message_id: str
    ) -> StatementRevision | None:
        query = select(StatementRevision).where(
            StatementRevision.channel_id == channel_id,
            StatementRevision.message_id == message_id,
        )
        return (await self.session.exec(query)).first()

    async def save(self, row: Statement | StatementRevision) -> None:
        await self._add(row)

    async def votes(self, statement_id: int, revision: int) -> Sequence[Approval]:
        query = select(Approval).where(
            Approval.statement_id == statement_id, Approval.revision == revision
        )
        return (await self.session.exec(query)).all()

    async def set_vote(self, vote: Approval) -> None:
        """Record a vote, replacing the same user's earlier vote on that revision."""
        await self.session.exec(
            delete(Approval).where(
                col(Approval.statement_id) == vote.statement_id,
                col(Approval.revision) == vote.revision,
                col(Approval.user_id) == vote.user_id,
            )
        )
        await self._add(vote)

    async def withdraw_vote(
        self, statement_id: int, revision: int, user_id: str, decision: str
    ) -> bool:
        result = await self.session.exec(
            delete(Approval).where(
                col(Approval.statement_id) == statement_id,
                col(Approval.revision) == revision,
                col(Approval.user_id) == user_id,
                col(Approval.decision) == decision,
            )
        )
        return _rowcount(result) > 0

    async def transition(self, statement_id: int, source: str, target: str, **values: Any) -> bool:
        """Move a statement between states only if it is still in ``source`` (atomic claim)."""
        result = await self.session.exec(
            update(Statement)
            .where(col(Statement.id) == statement_id, col(Statement.state) == source)
            .values(state=target, **values)
        )
        return _rowcount(result) == 1


def _newest_first() -> tuple[Any, ...]:
    return col(Statement.published_at).desc(), col(Statement.id).desc()


class Deliveries(_Repo):
    async def add(self, delivery: Delivery) -> None:
        await self._add(delivery)
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
            .where(Delivery.state == "pending", col(Delivery.next_attempt_at) <= now)
            .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
            .limit(limit)
        )
        return [int(i) for i in (await self.session.exec(query)).all() if i is not None]

    async def due(self, now: datetime, limit: int = 100) -> Sequence[Delivery]:
        """Pending deliveries whose time has come, oldest first."""
        query = (
            select(Delivery)
            .where(Delivery.state == "pending", col(Delivery.next_attempt_at) <= now)
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
            .where(col(Delivery.id) == delivery_id, col(Delivery.state) == "failed")
            .values(state="pending", attempts=1, next_attempt_at=now, claimed_at=None)
        )
        return _rowcount(result) == 1

    async def oldest_claim(self) -> datetime | None:
        """When the longest-running ``sending`` delivery was claimed (its lease runs from then)."""
        query = select(func.min(Delivery.claimed_at)).where(Delivery.state == "sending")
        return (await self.session.exec(query)).one()

    async def claim(self, delivery_id: int, now: datetime) -> bool:
        """pending → sending, for exactly one worker, and only once it is due: a worker
        that listed it earlier must not resend it at once after another recorded a failure."""
        result = await self.session.exec(
            update(Delivery)
            .where(
                col(Delivery.id) == delivery_id,
                col(Delivery.state) == "pending",
                col(Delivery.next_attempt_at) <= now,
            )
            .values(state="sending", claimed_at=now, attempts=Delivery.attempts + 1)
        )
        return _rowcount(result) == 1

    async def unclaim(self, delivery_id: int, retry_at: datetime) -> None:
        """Give back a claim taken in this transaction without sending (nothing was
        attempted): pending again, the attempt not counted, tried at ``retry_at``."""
        await self.session.exec(
            update(Delivery)
            .where(col(Delivery.id) == delivery_id, col(Delivery.state) == "sending")
            .values(
                state="pending",
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
                col(Delivery.state) == "sending",
                col(Delivery.attempts) == attempt,
            )
            .values(claimed_at=now)
        )
        return _rowcount(result) == 1

    async def release_stale(self, older_than: datetime) -> int:
        """Deliveries left in ``sending`` by a process that died go back to pending."""
        result = await self.session.exec(
            update(Delivery)
            .where(col(Delivery.state) == "sending", col(Delivery.claimed_at) < older_than)
            .values(state="pending", next_attempt_at=older_than)
        )
        return _rowcount(result)

    async def save(self, delivery: Delivery) -> None:
        await self._add(delivery)

    async def next_attempt_at(self) -> datetime | None:
        query = select(func.min(Delivery.next_attempt_at)).where(Delivery.state == "pending")
        return (await self.session.exec(query)).one()


TIMERS_CHANGED = "candor_timers_changed"  # session.info key: work for the timer was added


class Reminders(_Repo):
    async def add(self, reminder: Reminder) -> None:
        await self._add(reminder)
        self.session.info[TIMERS_CHANGED] = True

    async def of_incident(self, incident_id: int, kind: str) -> Sequence[Reminder]:
        """One incident's reminders of one kind, fired and cancelled ones too, oldest first."""
        query = (
            select(Reminder)
            .where(Reminder.incident_id == incident_id, Reminder.kind == kind)
            .order_by(col(Reminder.id))
        )
        return (await self.session.exec(query)).all()

    async def cancel_pending(
        self,
        incident_id: int,
        now: datetime,
        *,
        kind: str | None = None,
        task_id: int | None = None,
    ) -> None:
        query = update(Reminder).where(
            col(Reminder.incident_id) == incident_id,
            col(Reminder.fired_at).is_(None),
            col(Reminder.cancelled_at).is_(None),
        )
        if kind is not None:
            query = query.where(col(Reminder.kind) == kind)
        if task_id is not None:
            query = query.where(col(Reminder.task_id) == task_id)
        await self.session.exec(query.values(cancelled_at=now))

    async def due(self, now: datetime, limit: int = 200) -> Sequence[Reminder]:
        query = (
            select(Reminder)
            .where(
                col(Reminder.fire_at) <= now,
                col(Reminder.fired_at).is_(None),
                col(Reminder.cancelled_at).is_(None),
            )
            .order_by(col(Reminder.fire_at), col(Reminder.id))
            .limit(limit)
        )
        return (await self.session.exec(query)).all()

    async def get(self, reminder_id: int) -> Reminder | None:
        return await self.session.get(Reminder, reminder_id)

    async def claim(self, reminder_id: int, now: datetime) -> bool:
        """Mark a reminder fired, for exactly one caller."""
        result = await self.session.exec(
            update(Reminder)
            .where(
                col(Reminder.id) == reminder_id,
                col(Reminder.fired_at).is_(None),
                col(Reminder.cancelled_at).is_(None),
            )
            .values(fired_at=now)
        )
        return _rowcount(result) == 1

    async def next_fire_at(self) -> datetime | None:
        query = select(func.min(Reminder.fire_at)).where(
            col(Reminder.fired_at).is_(None), col(Reminder.cancelled_at).is_(None)
        )
        return (await self.session.exec(query)).one()


class Timeline(_Repo):
    async def add(
        self,
        incident_id: int,
        at: datetime,
        kind: str,
        text: str,
        actor_id: str | None = None,
        **data: Any,
    ) -> None:
        await self._add(
            TimelineEvent(
                incident_id=incident_id, at=at, kind=kind, text=text, actor_id=actor_id, data=data
            )
        )

    async def add_or_count(
        self,
        incident_id: int,
        at: datetime,
        kind: str,
        text: str,
        actor_id: str,
        key: str,
        **data: Any,
    ) -> None:
        """Add an event, or count a repeat of the same one (same kind, person and ``key``)
        on the line already there: a person hammering a refused button is one line, not
        a thousand."""
        query = (
            select(TimelineEvent)
            .where(
                TimelineEvent.incident_id == incident_id,
                TimelineEvent.kind == kind,
                TimelineEvent.actor_id == actor_id,
            )
            .order_by(col(TimelineEvent.id).desc())
            .limit(20)
        )
        for event in (await self.session.exec(query)).all():
            if event.data.get("key") == key:
                count = int(event.data.get("count", 1)) + 1
                event.data = {**event.data, "count": count, "last_at": at.isoformat()}
                event.text = f"{text} (×{count}, last at {at:%H:%M} UTC)"[:4000]
                self.session.add(event)
                return
        await self.add(incident_id, at, kind, text, actor_id, key=key, **data)

    async def of_incident(self, incident_id: int) -> Sequence[TimelineEvent]:
        query = (
            select(TimelineEvent)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
        )
        return (await self.session.exec(query)).all()


class ProcessedEvents(_Repo):
    async def first_time(self, key: str, now: datetime) -> bool:
        """Record an event key; False when it was seen before (a redelivery)."""
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(ProcessedEvent).values(key=key, at=now).on_conflict_do_nothing()
        result = await self.session.exec(statement)
        return _rowcount(result) == 1

    async def forget_before(self, moment: datetime) -> None:
        """Platforms redeliver within minutes; keys older than that are only clutter."""
        await self.session.exec(delete(ProcessedEvent).where(col(ProcessedEvent.at) < moment))


def _insert(session: AsyncSession) -> Any:
    """The dialect's INSERT (both have ``on_conflict_do_nothing``)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


class Subscribers(_Repo):
    async def add(self, subscriber: Subscriber) -> Subscriber:
        await self._add(subscriber)
        return subscriber

    async def get(self, subscriber_id: int, *, for_update: bool = False) -> Subscriber | None:
        query = select(Subscriber).where(Subscriber.id == subscriber_id)
        if for_update:
            query = _locked(query)
        return (await self.session.exec(query)).first()

    async def by_email_key(self, email_key: str, *, for_update: bool = False) -> Subscriber | None:
        query = select(Subscriber).where(Subscriber.email_key == email_key)
        if for_update:
            query = _locked(query)
        return (await self.session.exec(query)).first()

    async def claim_new(
        self, email: str, email_key: str, incident_id: int | None, now: datetime
    ) -> None:
        """Create a pending subscriber unless the address already has a row (race-safe)."""
        statement = (
            _insert(self.session)(Subscriber)
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
        return _rowcount(await self.session.exec(statement))

    async def save(self, subscriber: Subscriber) -> None:
        await self._add(subscriber)


class EmailSends(_Repo):
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
            _insert(self.session)(EmailSend)
            .values(
                statement_id=statement_id,
                subscriber_id=subscriber_id,
                claimed_at=now,
                attempt=attempt,
            )
            .on_conflict_do_nothing()
        )
        if _rowcount(await self.session.exec(insert)) == 1:
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
        return "mine" if _rowcount(taken) == 1 else "busy"

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


class AppSecrets(_Repo):
    async def get_or_create(self, name: str, candidate: str, now: datetime) -> str:
        """The secret called ``name``; ``candidate`` is kept only if none exists yet
        (two processes starting together end up with the same one)."""
        statement = (
            _insert(self.session)(AppSecret)
            .values(name=name, value=candidate, created_at=now)
            .on_conflict_do_nothing()
        )
        await self.session.exec(statement)
        query = select(AppSecret.value).where(AppSecret.name == name)
        return (await self.session.exec(query)).one()


class UnitOfWork:
    """One transaction, with a repository per table and after-commit callbacks."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.incidents = Incidents(session)
        self.roles = Roles(session)
        self.tasks = Tasks(session)
        self.statements = Statements(session)
        self.deliveries = Deliveries(session)
        self.reminders = Reminders(session)
        self.timers = Timers(session)  # storage/timers.py
        self.timeline = Timeline(session)
        self.events = ProcessedEvents(session)
        self.subscribers = Subscribers(session)
        self.email_sends = EmailSends(session)
        self.secrets = AppSecrets(session)
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._on_rollback: list[Callable[[], Awaitable[None]]] = []

    @property
    def timers_changed(self) -> bool:
        """Whether this unit of work added reminders or deliveries (the timer may need
        to wake sooner); read-only commands then skip re-arming."""
        return bool(self.session.info.get(TIMERS_CHANGED))

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._after_commit.append(callback)

    def pending_after_commit(self) -> list[Callable[[], Awaitable[None]]]:
        return list(self._after_commit)

    def on_rollback(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` if this unit of work fails: undo or report what it did
        outside the database. The callback must not raise."""
        self._on_rollback.append(callback)

    def pending_on_rollback(self) -> list[Callable[[], Awaitable[None]]]:
        return list(self._on_rollback)
