"""Incidents, the roles people hold in them, and their tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from storage.models import Incident, RoleAssignment, Statement, Task
from storage.repos._base import Repo, locked
from storage.states import OPEN_STATES, StatementState


class Incidents(Repo):
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
            query = locked(query)
        return (await self.session.exec(query)).first()

    async def of_statement(self, statement_id: int, *, for_update: bool = False) -> Incident | None:
        """The incident a statement belongs to (locked: only the incident's row)."""
        query = (
            select(Incident)
            .join(Statement, col(Statement.incident_id) == col(Incident.id))
            .where(Statement.id == statement_id)
        )
        if for_update:  # of the incident only: the statement is locked next, as commands do
            query = locked(query, of=Incident)
        return (await self.session.exec(query)).first()

    async def by_channel(
        self, platform: str, channel_id: str, *, for_update: bool = False
    ) -> Incident | None:
        query = select(Incident).where(
            Incident.platform == platform, Incident.channel_id == channel_id
        )
        return (await self.session.exec(locked(query) if for_update else query)).first()

    async def numbered(self, number: int) -> Sequence[Incident]:
        """Every incident with this number, in any workspace (numbers are per workspace)."""
        query = (
            select(Incident)
            .where(Incident.number == number)
            .order_by(col(Incident.platform), col(Incident.workspace_id))
        )
        return (await self.session.exec(query)).all()

    async def by_number(
        self, platform: str, workspace_id: str, number: int, *, for_update: bool = False
    ) -> Incident | None:
        query = select(Incident).where(
            Incident.platform == platform,
            Incident.workspace_id == workspace_id,
            Incident.number == number,
        )
        return (await self.session.exec(locked(query) if for_update else query)).first()

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

    async def count_open(self, *, overdue_at: datetime | None = None) -> int:
        """Unresolved incidents (announced or not); with ``overdue_at``, only those whose
        next public update was due before then."""
        query = (
            select(func.count()).select_from(Incident).where(col(Incident.state).in_(OPEN_STATES))
        )
        if overdue_at is not None:
            query = query.where(col(Incident.next_update_due_at) < overdue_at)
        return (await self.session.exec(query)).one()


def _with_published_statement() -> Any:
    return (
        select(Statement.incident_id).where(Statement.state == StatementState.PUBLISHED).distinct()
    )


class Roles(Repo):
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

    async def holders(self, incident_ids: Sequence[int], role: str) -> dict[int, str]:
        """Who holds ``role`` in each of these incidents, in one query (a list of many)."""
        if not incident_ids:
            return {}
        query = (
            select(RoleAssignment)
            .where(
                col(RoleAssignment.incident_id).in_(incident_ids),
                RoleAssignment.role == role,
                col(RoleAssignment.ended_at).is_(None),
            )
            .order_by(col(RoleAssignment.id))
        )
        return {a.incident_id: a.user_id for a in (await self.session.exec(query)).all()}

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


class Tasks(Repo):
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
