"""Neutral messages for the things people look at: summary, draft, status, lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from commands.approval.checklist import DEFAULT_PHRASES, review
from commands.approval.phrases import ChecklistPhrases
from commands.domain import COMMANDER, COMMS, incident_ref, statement_ref
from commands.grammar.times import format_time, relative
from commands.ports import Line, Mention, Message, Segment, Strong
from storage import Approval, Incident, Statement, StatementState, Task

STATE_ICONS = {
    "investigating": "🔍",
    "identified": "🛠️",
    "monitoring": "👀",
    "resolved": "✅",
}


def incident_heading(incident: Incident) -> str:
    return f"{incident_ref(incident.number)} · {incident.title}"


def clock_line(incident: Incident, now: datetime) -> Line:
    if incident.next_update_due_at is None:
        stopped = "clock stopped (resolved)" if incident.resolved_at else "no update due"
        return ("Public updates: ", stopped)
    due = incident.next_update_due_at
    label = "⚠️ OVERDUE — " if due < now else ""
    # Resolved by the team but not yet told: the public is still waiting to hear it.
    waiting = " — the resolution is not public yet" if incident.resolved_at else ""
    return (
        Strong("Next public update: "),
        f"{label}{format_time(due, now)} ({relative(due, now)}){waiting}",
    )


def _person(label: str, user_id: str | None) -> Line:
    return (Strong(f"{label}: "), Mention(user_id) if user_id else "unassigned")


def summary(
    incident: Incident, roles: Mapping[str, str], tasks: Sequence[Task], now: datetime
) -> Message:
    """The pinned summary of an incident channel, refreshed as things change."""
    lines: list[Line] = [
        (
            Strong("Severity: "),
            incident.severity.upper(),
            "   ",
            Strong("State: "),
            f"{STATE_ICONS.get(incident.state, '')} {incident.state}",
        ),
        _person("Commander", roles.get(COMMANDER)),
        _person("Comms", roles.get(COMMS)),
    ]
    lines.extend(
        _person(role.capitalize(), user)
        for role, user in roles.items()
        if role not in (COMMANDER, COMMS)
    )
    lines.append(clock_line(incident, now))
    if incident.last_public_update_at:
        lines.append(("Last public update: ", format_time(incident.last_public_update_at, now)))
    if incident.eta_at:
        lines.append(("Promised fix (ETA): ", format_time(incident.eta_at, now)))
    open_tasks = [t for t in tasks if t.done_at is None]
    late = [t for t in open_tasks if t.due_at < now]
    if open_tasks:
        lines.append(("Open tasks: ", f"{len(open_tasks)}", f" ({len(late)} late)" if late else ""))
    if incident.description:
        lines.append(("", incident.description))
    return Message(
        title=incident_heading(incident),
        lines=tuple(lines),
        footer="/incident help — commands · react ✅ / ❌ on a draft to approve or reject",
    )


def topic(incident: Incident, now: datetime) -> str:
    due = incident.next_update_due_at
    clock = f"next update {format_time(due, now)}" if due else "no update due"
    return f"{incident.severity.upper()} · {incident.state} · {clock}"


def draft(
    statement: Statement,
    incident: Incident,
    votes: Sequence[Approval],
    quorum: int,
    approvers: str,
    approve_emoji: str,
    reject_emoji: str,
    now: datetime,
    phrases: ChecklistPhrases = DEFAULT_PHRASES,
) -> Message:
    """A draft as the team sees it: text, checklist, who must approve and how."""
    ref = statement_ref(statement.number)
    heading = (
        f"{ref} · {statement.kind} draft for {incident_ref(incident.number)} "
        f"(revision {statement.revision})"
    )
    lines: list[Line] = [(statement.body,), ("",), (Strong("Checklist"),)]
    for check in review(statement.body, statement.kind, phrases):
        mark = "✅" if check.ok else ("⛔" if check.blocking else "⚠️")
        note = f" — {check.note}" if check.note else ""
        lines.append((f"{mark} {check.label}{note}",))
    lines.append(("",))
    approvals = [v for v in votes if v.decision == "approve"]
    if statement.state == StatementState.DRAFT:
        voters: list[Segment] = []
        for vote in approvals:
            voters.extend([Mention(vote.user_id), " "])
        lines.append((Strong("Approval: "), f"{len(approvals)} of {quorum} needed ", *voters))
        lines.append(
            (
                f"React :{approve_emoji}: to approve or :{reject_emoji}: to reject "
                f"(or `/incident approve {ref}r{statement.revision}`). Approvers: {approvers}.",
            )
        )
        if statement.preapproved and statement.revision == 1:
            lines.append(("Pre-approved wording: one approver is enough, the author included.",))
    else:
        lines.append((Strong("State: "), statement.state))
    return Message(title=heading, lines=tuple(lines))


def incident_list(
    incidents: Sequence[Incident], commanders: Mapping[int, str], now: datetime
) -> Message:
    """Open incidents, overdue ones first (the App Home and `/incident list`)."""
    if not incidents:
        return Message(title="Open incidents", lines=(("No open incidents. 🎉",),))

    def overdue(incident: Incident) -> bool:
        due = incident.next_update_due_at
        return due is not None and due < now

    lines: list[Line] = []
    for incident in sorted(incidents, key=lambda i: (not overdue(i), i.severity, i.number)):
        due = incident.next_update_due_at
        commander = commanders.get(incident.id or 0)
        lines.append(
            (
                Strong(incident_ref(incident.number)),
                f" {incident.severity.upper()} {incident.state} — {incident.title}"
                f" · #{incident.channel_name} · commander ",
                Mention(commander) if commander else "unassigned",
                f" · next update {relative(due, now)}" if due else "",
                " ⚠️ update overdue" if overdue(incident) else "",
            )
        )
    return Message(title=f"Open incidents ({len(incidents)})", lines=tuple(lines))


def task_line(task: Task, now: datetime) -> Line:
    if task.done_at:
        state = "done ✅"
    elif task.due_at < now:
        state = f"⚠️ {relative(task.due_at, now)}"
    else:
        state = f"due {format_time(task.due_at, now)} ({relative(task.due_at, now)})"
    return (Strong(f"T{task.number} "), task.title, " — ", Mention(task.owner_id), f" · {state}")


def task_list(incident: Incident, tasks: Sequence[Task], now: datetime) -> Message:
    if not tasks:
        return Message(
            title=f"Tasks of {incident_ref(incident.number)}",
            lines=(("No tasks yet. Add one: /incident task @dana 30m Check the replicas",),),
        )

    def order(task: Task) -> tuple[int, datetime]:
        late = task.done_at is None and task.due_at < now
        return (0 if late else 1 if task.done_at is None else 2, task.due_at)

    return Message(
        title=f"Tasks of {incident_ref(incident.number)}",
        lines=tuple(task_line(t, now) for t in sorted(tasks, key=order)),
    )
