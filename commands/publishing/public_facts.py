"""What the public has been told about an incident (DESIGN §4: everything the public sees
is published).

At approval a statement takes the facts it carries — title, severity, state — so the
hub, its API, its feeds and every destination show what an approved statement said,
never the incident row's live values. The state a statement carries follows its words:
a resolution says "resolved"; the identified template says "identified"; other updates
carry the incident's state if it is open, else the state the public last heard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from commands.domain import OPEN_STATES, RESOLVED
from storage import Incident, Statement

FIRST_PUBLIC_STATE = OPEN_STATES[0]
_CLOSING_KINDS = frozenset({"resolution", "postmortem"})


@dataclass(frozen=True)
class PublicFacts:
    title: str
    severity: str
    state: str
    resolved_at: datetime | None  # when the public was told it is resolved

    @property
    def is_resolved(self) -> bool:
        return self.state == RESOLVED


def _published(statements: Sequence[Statement]) -> list[Statement]:
    rows = [s for s in statements if s.published_at is not None and s.public_state is not None]
    return sorted(rows, key=lambda s: (s.published_at, s.number))


def public_facts(statements: Sequence[Statement]) -> PublicFacts | None:
    """The facts of the latest published statement; None if nothing was published."""
    published = _published(statements)
    if not published:
        return None
    latest = published[-1]
    assert latest.public_title and latest.public_severity and latest.public_state
    resolved_at = None
    if latest.public_state == RESOLVED:  # since the first of the closing run of statements
        for row in reversed(published):
            if row.public_state != RESOLVED:
                break
            resolved_at = row.published_at
    return PublicFacts(
        latest.public_title, latest.public_severity, latest.public_state, resolved_at
    )


def carried_state(statement: Statement, incident: Incident, told: PublicFacts | None) -> str:
    if statement.kind in _CLOSING_KINDS:
        return RESOLVED
    if statement.kind == "correction" and told is not None:
        return told.state  # a correction fixes words, not where the incident stands
    if statement.template in OPEN_STATES:
        return statement.template
    if incident.state in OPEN_STATES:
        return incident.state
    if told is not None and told.state in OPEN_STATES:
        return told.state
    return FIRST_PUBLIC_STATE
