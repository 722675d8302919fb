"""The communication record in words, for the team (`/incident status`, the notes that
come with a postmortem draft, `candor export`). The public wording lives with the
postmortem and the hub; the figures are the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from commands.ports import Line, Strong
from commands.record import CommunicationRecord, PublicRecord, PublicUpdate, Silence
from commands.record_clock import Overdue
from commands.timeparse import format_duration, format_time

Label = Callable[[str], str]  # a destination key → how it is named to people


def span(delta: timedelta) -> str:
    """``37 min``, ``1 h 20 min``; under ten minutes to the second (``3 min 30 s``), so a
    median of 3.5 minutes does not read as 4."""
    seconds = round(delta.total_seconds())
    if 0 < seconds < 600 and seconds % 60:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min {rest} s" if minutes else f"{rest} s"
    return format_duration(delta)


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"


def first_update(record: PublicRecord) -> str:
    if record.first_update_after is None:
        return "no public update yet" if record.resolved_at is None else "no public update"
    return f"first public update {span(record.first_update_after)} after open"


def silence(gap: Silence | None, now: datetime) -> str:
    if gap is None:
        return "no silence measured"
    return (
        f"longest silence {span(gap.length)} "
        f"({_point(gap.after)} {format_time(gap.start, now)} → "
        f"{_point(gap.until)} {format_time(gap.end, now)})"
    )


def _point(label: str) -> str:
    return {"open": "open", "now": "now", "resolution": "resolved"}.get(label, label)


def late(updates: tuple[PublicUpdate, ...], missed: tuple[Overdue, ...] = ()) -> str:
    """Updates that came late, and updates that never came (the incident was resolved, or
    the cadence changed, while one was overdue)."""
    parts = [f"S{u.number} by {span(u.late_by)}" for u in updates if u.late_by]
    parts += [
        f"none by {stretch.end:%H:%M} for the one due {stretch.due_at:%H:%M} "
        f"({span(stretch.end - stretch.due_at)} late)"
        for stretch in missed
        if stretch.ended_by in ("resolution", "new due time")
    ]
    if not parts:
        return "no late updates"
    return f"{plural(len(parts), 'late update')}: {', '.join(parts)}"


def approvals(record: CommunicationRecord) -> str:
    if record.approval_median is None or record.approval_max is None:
        return "no approvals yet"
    return (
        f"approval took {span(record.approval_median)} median, "
        f"{span(record.approval_max)} at most "
        f"({plural(len(record.approvals), 'statement')})"
    )


def deliveries(record: CommunicationRecord) -> str:
    return (
        f"{plural(record.deliveries, 'delivery', 'deliveries')}, "
        f"{record.deliveries_retried} retried, {record.deliveries_failed} failed"
    )


def status_lines(record: CommunicationRecord, now: datetime) -> list[Line]:
    """A compact section for `/incident status`: two lines, three when something is wrong."""
    public = record.public
    lines: list[Line] = [
        (
            "📊 ",
            Strong("Communication record: "),
            f"{first_update(public)} · {plural(public.update_count, 'public update')} · "
            f"{silence(public.longest_silence, now)}",
        ),
        (
            "⏱️ ",
            f"{late(public.late_updates, public.overdue)} · {approvals(record)} · "
            f"deliveries: {deliveries(record)}",
        ),
    ]
    if public.overdue_now is not None:
        lines.append((f"⚠️ The public update is overdue by {span(public.overdue_now)}.",))
    return lines


def trouble_lines(record: CommunicationRecord, label: Label) -> list[str]:
    """One line per delivery that was retried or failed, for the team."""
    return [
        f"S{t.number} to {label(t.destination)}: {t.state} after "
        f"{plural(t.attempts, 'attempt')}" + (f" ({t.last_error})" if t.last_error else "")
        for t in record.troubled
    ]
