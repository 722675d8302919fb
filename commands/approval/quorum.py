"""Can a statement's quorum be reached at all? Said at open, at every role change, on
every draft and in `/incident status`, so a SEV1 team is never stuck without knowing why.

Only people the policy names outright can be counted: role holders, listed users and
listed admins. Members of a platform group cannot be listed from here, so where the
policy names a group the quorum is taken as reachable.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from commands.context import Ctx, Deps
from commands.domain import statement_ref
from storage import Incident, Statement, UnitOfWork


async def roles_of(uow: UnitOfWork, incident_id: int) -> dict[str, str]:
    return {a.role: a.user_id for a in await uow.roles.current(incident_id)}


async def authors_of(uow: UnitOfWork, statement: Statement) -> set[str]:
    """Everyone who wrote any part of the statement's current revision: its first author
    and every editor up to now. Their votes never count where authors' do not."""
    assert statement.id is not None
    revisions = await uow.statements.revisions(statement.id, statement.revision)
    return {statement.author_id, *(r.edited_by for r in revisions)}


@dataclass(frozen=True)
class Gap:
    needed: int
    able: tuple[str, ...]  # people who could give a counted approval now
    missing: int
    fix: str

    def sentence(self, subject: str) -> str:
        who = f" ({', '.join(self.able)})" if self.able else ""
        people = "person" if len(self.able) == 1 else "people"
        ones = "one more approver" if self.missing == 1 else f"{self.missing} more approvers"
        return (
            f"⚠️ {subject} needs {self.needed} approvals from people who did not write it, "
            f"and only {len(self.able)} {people} can give one{who}. Needs {ones} who did not "
            f"write it: {self.fix}."
        )


def find_gap(
    deps: Deps, platform: str, roles: Mapping[str, str], authors: Collection[str], quorum: int
) -> Gap | None:
    policy = deps.approval
    specs = (*policy.approvers, *deps.authority.admins)
    if any(spec.kind == "group" and spec.platform == platform for spec in specs):
        return None
    able: dict[str, str] = {}
    for spec in specs:
        if spec.kind == "role" and (holder := roles.get(spec.value)):
            able.setdefault(holder, f"{holder}, {spec.value}")
        elif spec.kind == "user" and spec.platform == platform:
            able.setdefault(spec.value, spec.value)
    if not policy.author_counts:
        able = {user: label for user, label in able.items() if user not in authors}
    missing = quorum - len(able)
    if missing <= 0:
        return None
    free = [s.value for s in policy.approvers if s.kind == "role" and s.value not in roles]
    fix = (
        f"assign one with `/incident assign {free[0]} @someone`"
        if free
        else "ask an operator to add approvers to APPROVERS"
    )
    return Gap(quorum, tuple(able.values()), missing, fix)


async def gap_for_incident(ctx: Ctx, incident: Incident) -> str | None:
    """Whether a statement of this severity could pass with the owners as they are now."""
    assert incident.id is not None
    roles = await roles_of(ctx.uow, incident.id)
    needed = ctx.deps.approval.quorum(incident.severity, False)
    gap = find_gap(ctx.deps, incident.platform, roles, (), needed)
    return gap.sentence(f"A {incident.severity.upper()} statement") if gap else None


async def gap_for_statement(
    deps: Deps,
    uow: UnitOfWork,
    incident: Incident,
    statement: Statement,
    roles: dict[str, str] | None = None,
) -> str | None:
    """What keeps this draft from ever passing with the owners as they are now, if anything
    (``roles``: the incident's owners, when the caller has just read them)."""
    assert incident.id is not None
    if roles is None:
        roles = await roles_of(uow, incident.id)
    unedited_template = statement.preapproved and statement.revision == 1
    needed = deps.approval.quorum(incident.severity, unedited_template)
    authors = () if unedited_template else await authors_of(uow, statement)
    gap = find_gap(deps, incident.platform, roles, authors, needed)
    return gap.sentence(statement_ref(statement.number)) if gap else None
