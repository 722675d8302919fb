"""Statements, their revisions and the votes on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, text, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select

from storage.models import Approval, Incident, Statement, StatementRevision
from storage.repos._base import Repo, dialect_insert, locked, rowcount
from storage.states import StatementState

# The latest published statement of each incident, when it does not say "resolved".
_PUBLIC_OPEN = text(
    """
    SELECT count(*) FROM statements s
    WHERE s.published_at IS NOT NULL AND s.public_state IS NOT NULL
      AND s.public_state <> 'resolved'
      AND NOT EXISTS (
        SELECT 1 FROM statements t
        WHERE t.incident_id = s.incident_id
          AND t.published_at IS NOT NULL AND t.public_state IS NOT NULL
          AND (t.published_at > s.published_at
               OR (t.published_at = s.published_at AND t.number > s.number)))
    """
)


class Statements(Repo):
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
            query = locked(query)
        return (await self.session.exec(query)).first()

    async def by_number(
        self, incident_id: int, number: int, *, for_update: bool = False
    ) -> Statement | None:
        query = select(Statement).where(
            Statement.incident_id == incident_id, Statement.number == number
        )
        if for_update:
            query = locked(query)
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
            .where(
                col(Statement.incident_id).in_(incident_ids),
                Statement.state == StatementState.PUBLISHED,
            )
            .order_by(*_newest_first())
        )
        return (await self.session.exec(query)).all()

    async def published_recent(self, limit: int) -> list[tuple[Statement, Incident]]:
        """The latest published statements of every incident, newest first."""
        query = (
            select(Statement, Incident)
            .join(Incident, col(Statement.incident_id) == col(Incident.id))
            .where(Statement.state == StatementState.PUBLISHED)
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
        """Record a vote, replacing the same user's earlier vote on that revision (one
        upsert on the vote's unique key)."""
        upsert = (
            dialect_insert(self.session)(Approval)
            .values(
                statement_id=vote.statement_id,
                revision=vote.revision,
                user_id=vote.user_id,
                decision=vote.decision,
                created_at=vote.created_at,
            )
            .on_conflict_do_update(
                index_elements=["statement_id", "revision", "user_id"],
                set_={"decision": vote.decision, "created_at": vote.created_at},
            )
        )
        await self.session.exec(upsert)

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
        return rowcount(result) > 0

    async def transition(
        self,
        statement_id: int,
        source: str,
        target: str,
        *,
        row: Statement | None = None,
        **values: Any,
    ) -> bool:
        """Move a statement between states only if it is still in ``source`` (atomic claim).
        ``row``, the statement as loaded, is brought up to date without reading it again."""
        result = await self.session.exec(
            update(Statement)
            .where(col(Statement.id) == statement_id, col(Statement.state) == source)
            .values(state=target, **values)
        )
        moved = rowcount(result) == 1
        if moved and row is not None:
            for name, value in {"state": target, **values}.items():
                set_committed_value(row, name, value)
        return moved

    async def count_public_open(self) -> int:
        """Incidents the public has been told are open: those whose latest published
        statement does not say "resolved" (commands/publishing/public_facts.py's rule)."""
        connection = await self.session.connection()
        return int((await connection.execute(_PUBLIC_OPEN)).scalar_one())


def _newest_first() -> tuple[Any, ...]:
    return col(Statement.published_at).desc(), col(Statement.id).desc()
