"""The post-incident summary (CRISIS-COMMS.md practice 8), drafted from the incident's
own record.

The draft is public text: it goes through approval and out to every destination, so
it holds only public facts — times, states, the updates we published and where, how
many roles and tasks there were — never people, task titles or the incident's own
channel. What the record cannot know (why it happened, how it will be prevented, how
customers are made whole, who to write to) is a ``[FILL IN: …]`` placeholder; the
checklist refuses approval while one is left. The internal record behind the draft
(who held which role, each task, every statement) goes to the team separately
(``commands.record.postmortem_notes``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from commands.approval.checklist import placeholder
from commands.domain import COMMANDER, COMMS, STATEMENT_MAX, incident_ref
from commands.publishing.destinations import KIND_LABELS
from commands.record.communication import CommunicationRecord
from commands.record.wording import late_sentence, plural, span
from storage import Delivery, Incident, RoleAssignment, Statement, Task, UnitOfWork

Place = Callable[[str], str]  # destination key → how the public knows it (``Deps.place``)

SUMMARY_MAX = 900  # of the resolution summary, quoted in "How we fixed it"
_STATE_MOMENTS: dict[str, str] = {
    "investigating": "We were investigating again.",
    "identified": "We found the cause and started on a fix.",
    "monitoring": "A fix was in place; we watched to make sure it held.",
    "resolved": "Resolved: everything was working normally again.",
}


@dataclass(frozen=True)
class Facts:
    """The stored rows a postmortem is written from."""

    incident: Incident
    record: CommunicationRecord
    roles: Sequence[RoleAssignment]  # history, ended assignments included
    tasks: Sequence[Task]
    statements: Sequence[Statement]
    deliveries: Sequence[Delivery]


async def gather(uow: UnitOfWork, incident: Incident, record: CommunicationRecord) -> Facts:
    assert incident.id is not None
    return Facts(
        incident,
        record,
        await uow.roles.history(incident.id),
        await uow.tasks.of_incident(incident.id),
        await uow.statements.of_incident(incident.id),
        await uow.deliveries.of_incident(incident.id),
    )


def compose(facts: Facts, place: Place) -> str:
    """The draft body, within ``STATEMENT_MAX``: long lists shrink until it fits."""
    body = ""
    for cap in (12, 6, 3, 1):
        body = _body(facts, place, cap)
        if len(body) <= STATEMENT_MAX:
            return body
    return body[: STATEMENT_MAX - 1] + "…"


def _body(facts: Facts, place: Place, cap: int) -> str:
    incident = facts.incident
    return "\n\n".join(
        (
            f"Post-incident summary: {incident.title} ({incident_ref(incident.number)})\n"
            "All times are UTC.",
            _what_happened(facts.record, incident, cap),
            "Why it happened\n"
            + placeholder(
                "the cause in plain words — what went wrong, and why our checks did not "
                "catch it first"
            ),
            _how_fixed(facts),
            "How we will prevent it\n"
            + placeholder("the changes we are making so this cannot happen again, and by when"),
            "How we will make it up to you\n"
            + placeholder(
                "what affected customers get (a credit, a refund, an extension) and how to "
                "get it, or say plainly that nothing is needed"
            )
            + "\nIf you have questions, please contact us at "
            + placeholder("an address that reaches a person")
            + ".",
            _informed(facts, place, cap),
            "We are sorry for the disruption this caused, and thank you for your patience.",
        )
    )


def _clock(moment: datetime, day: datetime) -> str:
    """``12:04``, or ``22 Nov 03:10`` on a day other than the one it began."""
    if moment.date() == day.date():
        return f"{moment:%H:%M}"
    return f"{moment.day} {moment:%b %H:%M}"


def _what_happened(full: CommunicationRecord, incident: Incident, cap: int) -> str:
    """The team's own timeline: when it was found and fixed, and when the public heard."""
    record = full.public
    start, end = incident.opened_at, incident.resolved_at or record.end  # when it was fixed
    period = f"from {_clock(start, start)} to {_clock(end, start)}"
    lines = [
        "What happened and when",
        f"On {start.day} {start:%b %Y}, {period} ({span(end - start)}), we had an "
        f"incident: {incident.title}.",
    ]
    moments = [(start, "We opened an incident and started investigating.")]
    if record.updates:
        moments.append((record.updates[0].published_at, "We posted our first public update."))
    moments += [(s.at, _STATE_MOMENTS.get(s.state, f"Now {s.state}.")) for s in full.states[1:]]
    moments.sort(key=lambda moment: moment[0])
    shown = [f"- {_clock(at, start)} {what}" for at, what in moments]
    if len(shown) > cap + 1:  # keep the first steps and the resolution
        shown = [*shown[: cap - 1], f"- … {len(shown) - cap} more changes", shown[-1]]
    return "\n".join(lines + shown)


def _role_name(role: str) -> str:
    return {COMMANDER: "an incident commander", COMMS: "a communications lead"}.get(
        role, role.replace("-", " ").replace("_", " ")
    )


def _how_fixed(facts: Facts) -> str:
    incident, record = facts.incident, facts.record.public
    summary = (incident.resolution_summary or "").strip()
    if len(summary) > SUMMARY_MAX:
        summary = summary[: SUMMARY_MAX - 1] + "…"
    lines = [
        "How we fixed it",
        (summary.rstrip(".") + ".")
        if summary
        else placeholder("what we changed to bring the service back"),
    ]
    found = next((s.at for s in facts.record.states if s.state == "identified"), None)
    fixed = incident.resolved_at or record.end
    timing = f"The service was back to normal {span(fixed - incident.opened_at)}"
    timing += " after we opened the incident"
    if found is not None:
        timing = (
            f"We found the cause {span(found - incident.opened_at)} after we opened "
            f"the incident; the service was back to normal "
            f"{span(fixed - found)} later"
        )
    lines.append(timing + ".")
    roles = list(dict.fromkeys(a.role for a in facts.roles))
    if roles:
        team = ", ".join(_role_name(r) for r in roles)
        work = f" and worked through {plural(len(facts.tasks), 'task')}" if facts.tasks else ""
        lines.append(f"Named owners led the response ({team}){work}.")
    return "\n".join(lines)


def _informed(facts: Facts, place: Place, cap: int) -> str:
    record, start = facts.record, facts.incident.opened_at
    public = record.public
    lines = ["How we kept you informed"]
    if public.first_update_after is None:
        lines.append("We did not publish any update while this issue lasted. We should have.")
    else:
        lines.append(
            f"Our first public update came {span(public.first_update_after)} after "
            f"we opened the incident. We published {plural(public.update_count, 'update')}:"
        )
    where = _places(facts, place)
    shown = public.updates[:cap]
    for update in shown:
        label = KIND_LABELS.get(update.kind, update.kind.capitalize())
        late = f" ({span(update.late_by)} after it was due)" if update.late_by else ""
        places = ", ".join(where.get(update.number, [])) or "nowhere"
        lines.append(
            f"- {_clock(update.published_at, start)} S{update.number} {label}, {places}{late}"
        )
    if len(public.updates) > len(shown):
        lines.append(f"- and {len(public.updates) - len(shown)} more, all on the status page")
    lines += _record_sentences(record, start)
    return "\n".join(lines)


def _places(facts: Facts, place: Place) -> dict[int, list[str]]:
    """Statement number → the public places its deliveries reached."""
    numbers = {s.id: s.number for s in facts.statements}
    reached: dict[int, list[str]] = {}
    for delivery in facts.deliveries:
        if delivery.state == "sent" and delivery.statement_id in numbers:
            names = reached.setdefault(numbers[delivery.statement_id], [])
            if (name := place(delivery.destination)) not in names:
                names.append(name)
    return reached


def _record_sentences(record: CommunicationRecord, start: datetime) -> list[str]:
    public = record.public
    lines = []
    if public.longest_silence is not None and public.update_count:
        gap = public.longest_silence
        lines.append(
            f"The longest time without news was {span(gap.length)} "
            f"({_clock(gap.start, start)} to {_clock(gap.end, start)})."
        )
    lateness = late_sentence(public, lambda moment: _clock(moment, start))
    if lateness is not None:
        lines.append(lateness)
    if record.approval_median is not None and record.approval_max is not None:
        lines.append(
            "Every update was approved by the team before it went out, typically within "
            f"{span(record.approval_median)} "
            f"({span(record.approval_max)} at most)."
        )
    if record.deliveries:
        lines.append(
            f"Of {plural(record.deliveries, 'delivery', 'deliveries')}, "
            f"{record.deliveries_retried} needed a retry and {record.deliveries_failed} failed."
        )
    return lines
