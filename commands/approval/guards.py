"""What must be true before an approval counts, beyond who votes (``approvals``).

- A bare `/incident approve S5` approves the text the approver saw: unless they wrote the
  current wording themselves, it is refused when the wording changed in the last minute
  or was last changed by someone else, with the text quoted and the exact command
  (``S5r4``) that approves it.
- What goes public must be true when it goes: no update after the public heard the
  resolution, no resolution of a reopened incident, no promised time already past.
"""

from __future__ import annotations

from datetime import timedelta

from commands.context import Ctx
from commands.domain import OPEN_STATES, incident_ref, statement_ref
from commands.grammar.times import format_time, promise_from, with_promise
from commands.publishing.public_facts import PublicFacts
from commands.timing.update_clock import cadence
from storage import Incident, Statement

SETTLE = timedelta(minutes=1)  # a wording younger than this may not have been read yet
_UPDATES = frozenset({"ack", "update"})


async def unseen_change(ctx: Ctx, statement: Statement) -> str | None:
    """Why a bare approve may not be approving what the approver read, if it may not."""
    assert statement.id is not None
    current = await ctx.uow.statements.revision(statement.id, statement.revision)
    assert current is not None
    ref = statement_ref(statement.number)
    if current.edited_by == ctx.actor.user_id:
        return None  # their own words: they have read them
    if ctx.now - current.created_at < SETTLE:
        written = "written" if statement.revision == 1 else "changed"
        why = f"{ref} was {written} less than a minute ago"
    elif statement.revision > 1:
        why = f"{ref} was last changed by {current.edited_by}"
    else:
        return None
    pinned = f"{ref}r{statement.revision}"
    quoted = "\n".join(f"> {line}" for line in statement.body.splitlines())
    return (
        f"{why}; read revision {statement.revision} before approving it:\n{quoted}\n"
        f"To approve exactly this text: `/incident approve {pinned}`"
    )


def _fresh_promise_fix(ctx: Ctx, incident: Incident, statement: Statement) -> str:
    ref = statement_ref(statement.number)
    fresh = ctx.now + cadence(incident)
    edited = with_promise(statement.body, fresh)
    if edited is None:
        return f"edit it with a time still ahead: `/incident edit {ref} <text>`"
    return f"edit it, e.g. `/incident edit {ref} {edited}`"


def untrue_now(
    ctx: Ctx, incident: Incident, statement: Statement, told: PublicFacts | None
) -> str | None:
    """Why this statement, approved now, would tell the public something untrue
    (``told``: what the public has heard of the incident so far)."""
    ref, inc = statement_ref(statement.number), incident_ref(incident.number)
    resolved = told is not None and told.is_resolved
    if statement.kind in _UPDATES and resolved and incident.state not in OPEN_STATES:
        return (
            f"the public has been told {inc} is resolved, and {ref} says otherwise. "
            f"Correct a published statement (`/incident correct S<n> <text>`), draft the "
            f"summary (`/incident postmortem`), or `/incident reopen [reason]` if the "
            f"problem is back"
        )
    if statement.kind == "resolution" and incident.state in OPEN_STATES:
        return (
            f"{inc} was reopened, so {ref} no longer fits. Reject it "
            f"(`/incident reject {ref}`) and draft an update"
        )
    promise = promise_from(statement.body, statement.promised_next_update_at, ctx.now)
    if promise is not None and promise <= ctx.now:
        return (
            f"{ref} promises the next update by {format_time(promise, ctx.now)}, which has "
            f"passed; {_fresh_promise_fix(ctx, incident, statement)}"
        )
    return None
