"""An incident export as one Markdown document: plain CommonMark and GitHub tables, so
it reads the same on GitHub, GitLab, an editor's preview or a terminal.

User text (titles, statements, task titles, errors) is escaped: it can neither format
the document nor inject HTML. The chart is an image beside the document (``chart`` is
its relative path) or, when the document goes to standard output, a ``data:`` URI
(rendered by most previews, though GitHub shows only the alt text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.export import IncidentExport, StatementEntry
from commands import approvals, deliveries, first_update, format_time, late, plural, silence, span

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_BLOCK_START = re.compile(r"^([#=+-])|^(\d+)([.)])")


def inline(text: str) -> str:
    """User text safe inside a paragraph or a table cell: one line, no markup, no HTML."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return "<br>".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def quote(text: str) -> str:
    """A statement body as a block quote, its line breaks kept, no line read as a heading
    or a list item."""
    lines = [
        _BLOCK_START.sub(
            lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}",
            inline(line),
        )
        for line in text.splitlines()
    ]
    return "\n".join(f"> {line}".rstrip() for line in lines) or ">"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    if not rows:
        return "_None._"
    out = [f"| {' | '.join(header)} |", f"|{'|'.join('---' for _ in header)}|"]
    out += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(out)


class _Clock:
    """Times as ``12:04 UTC`` on the day the incident opened, with the date otherwise."""

    def __init__(self, opened_at: datetime) -> None:
        self.day = opened_at

    def __call__(self, moment: datetime | None) -> str:
        return format_time(moment, self.day) if moment is not None else "—"


def render(document: IncidentExport, chart: str) -> str:
    incident, at = document.incident, _Clock(document.incident.opened_at)
    parts = [
        f"# {incident.ref} · {inline(incident.title)}",
        _facts(document, at),
        f"Exported {document.exported_at:%Y-%m-%d %H:%M} UTC with `candor export`. "
        f"Times are UTC; on a day other than {incident.opened_at:%a %d %b %Y} they carry the date.",
        "## Communication record",
        f"![Public updates of {incident.ref} against the times they were due]({chart})",
        _record(document, at),
        "## Timeline",
        _table(
            ("Time", "Who", "What"),
            [(at(e.at), inline(e.actor_id or "Candor"), inline(e.text)) for e in document.timeline],
        ),
        "## Roles",
        _table(
            ("Role", "Who", "From", "Until", "Assigned by"),
            [
                (
                    inline(r.role),
                    inline(r.user_id),
                    at(r.assigned_at),
                    at(r.ended_at),
                    inline(r.assigned_by),
                )
                for r in document.roles
            ],
        ),
        "## Tasks",
        _table(
            ("#", "Task", "Owner", "Due", "Done"),
            [
                (
                    f"T{t.number}",
                    inline(t.title),
                    inline(t.owner_id),
                    at(t.due_at),
                    _done(t.done_at, t.done_by, at),
                )
                for t in document.tasks
            ],
        ),
        "## Statements",
        *(_statement(s, at) for s in document.statements),
    ]
    return "\n\n".join(parts) + "\n"


def _facts(document: IncidentExport, at: _Clock) -> str:
    incident = document.incident
    end = incident.resolved_at or document.exported_at
    rows = [
        ("Severity", incident.severity.upper()),
        ("State", incident.state),
        ("Workspace", inline(f"{incident.platform}:{incident.workspace_id}")),
        ("Channel", inline(f"#{incident.channel_name}")),
        ("Opened", f"{incident.opened_at:%Y-%m-%d %H:%M} UTC by {inline(incident.opened_by)}"),
        (
            "Resolved",
            f"{incident.resolved_at:%Y-%m-%d %H:%M} UTC" if incident.resolved_at else "not yet",
        ),
        ("Lasted", span(end - incident.opened_at) + ("" if incident.resolved_at else " so far")),
        ("Update cadence", f"every {incident.cadence_minutes} min"),
    ]
    if incident.resolution_summary:
        rows.append(("Resolution", inline(incident.resolution_summary)))
    if incident.description:
        rows.append(("Description", inline(incident.description)))
    return _table(("", ""), rows)


def _record(document: IncidentExport, at: _Clock) -> str:
    record, day = document.communication, document.incident.opened_at
    public = record.public
    lines = [
        f"- **First update:** {first_update(public)}",
        f"- **Public updates:** {public.update_count} "
        f"({', '.join(f'S{u.number} {at(u.published_at)}' for u in public.updates) or 'none'})",
        f"- **Silence:** {silence(public.longest_silence, day)}",
        f"- **Late:** {late(public.late_updates, at)}",
    ]
    lines += [
        f"- **Overdue** {at(o.start)} to {at(o.end)} ({span(o.end - o.start)}), due "
        f"{at(o.due_at)}, until {o.ended_by}"
        for o in public.overdue
    ]
    if public.overdue_now is not None:
        lines.append(f"- **Overdue now** by {span(public.overdue_now)}")
    lines.append(f"- **Approvals:** {approvals(record)}")
    lines += [
        f"  - S{a.number} ({a.kind}): drafted {at(a.drafted_at)}, approved {at(a.approved_at)}, "
        f"{span(a.took)}"
        for a in record.approvals
    ]
    lines.append(f"- **Deliveries:** {deliveries(record)}")
    lines += [
        f"  - S{t.number} to {inline(t.destination)}: {t.state} after "
        f"{plural(t.attempts, 'attempt')}" + (f" ({inline(t.last_error)})" if t.last_error else "")
        for t in record.troubled
    ]
    return "\n".join(lines)


def _done(done_at: datetime | None, done_by: str | None, at: _Clock) -> str:
    if done_at is None:
        return "not done"
    return f"{at(done_at)}" + (f" by {inline(done_by)}" if done_by else "")


def _statement(statement: StatementEntry, at: _Clock) -> str:
    when = [f"drafted {at(statement.created_at)}"]
    if statement.approved_at:
        when.append(f"approved {at(statement.approved_at)}")
    if statement.published_at:
        when.append(f"published {at(statement.published_at)}")
    parts = [
        f"### S{statement.number} · {statement.kind} · {statement.state}",
        f"By {inline(statement.author_id)}, signed {inline(statement.signer or '—')}; "
        + ", ".join(when)
        + ".",
        quote(statement.body),
    ]
    if len(statement.revisions) > 1:
        for revision in statement.revisions[:-1]:
            parts.append(
                f"Revision {revision.revision} ({inline(revision.edited_by)}, "
                f"{at(revision.created_at)}), replaced:\n\n{quote(revision.body)}"
            )
    if statement.votes:
        parts.append(
            "Votes: "
            + "; ".join(
                f"{v.decision} by {inline(v.user_id)} (revision {v.revision}, {at(v.created_at)})"
                for v in statement.votes
            )
            + "."
        )
    if statement.deliveries:
        parts.append(
            _table(
                ("Destination", "State", "Attempts", "Sent", "Last error"),
                [
                    (
                        inline(d.destination),
                        d.state,
                        str(d.attempts),
                        at(d.sent_at),
                        inline(d.last_error or ""),
                    )
                    for d in statement.deliveries
                ],
            )
        )
    return "\n\n".join(parts)
