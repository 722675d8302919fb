"""The communication record in words, for the team (`/incident status`, the notes that
come with a postmortem draft, `candor export`). The public wording lives with the
postmortem and the hub; the figures are the same, and late updates are put in the same
words everywhere (``late``, ``late_sentence``), each surface writing times its own way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from commands.grammar.times import format_duration, format_time
from commands.ports import Line, Strong
from commands.record.communication import CommunicationRecord, LateUpdate, PublicRecord, Silence

Label = Callable[[str], str]  # a destination key → how it is named to people
Clock = Callable[[datetime], str]  # how a surface writes a time: ``12:04`` or ``12:04 UTC``
Ref = Callable[[int], str]  # how a surface names a statement: ``S3``, or a link to it


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


def _ref(number: int) -> str:
    return f"S{number}"


_WHY_NONE = {"resolution": "the issue was resolved", "new due time": "the update cadence changed"}


def late_update(item: LateUpdate, clock: Clock, ref: Ref = _ref) -> str:
    """One late update: ``S2 came 11 min late``, ``the update due at 13:08 never came (12
    min late when the issue was resolved at 13:20)``, ``the update due at 12:10 has not
    come yet (15 min late)``."""
    if item.number is not None:
        return f"{ref(item.number)} came {span(item.late_by)} late"
    due = f"the update due at {clock(item.due_at)}"
    if item.ended_by == "now":
        return f"{due} has not come yet ({span(item.late_by)} late)"
    why = _WHY_NONE.get(item.ended_by, item.ended_by)
    return f"{due} never came ({span(item.late_by)} late when {why} at {clock(item.until)})"


def late(items: Sequence[LateUpdate], clock: Clock, ref: Ref = _ref) -> str:
    """Every late update (``PublicRecord.late_updates``): ``no late updates``, or
    ``2 late updates: S2 came 11 min late; the update due at …``."""
    if not items:
        return "no late updates"
    parts = "; ".join(late_update(item, clock, ref) for item in items)
    return f"{plural(len(items), 'late update')}: {parts}"


def late_sentence(record: PublicRecord, clock: Clock) -> str | None:
    """The public sentence on lateness: it can only say every update came in time when
    the record has no late update at all (None: nothing was published, nothing was due)."""
    if record.late_updates:
        return f"We had {late(record.late_updates, clock)}."
    if record.update_count:
        return "Every update came by the time it was due."
    return None


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
            f"{late(public.late_updates, lambda moment: format_time(moment, now))} · "
            f"{approvals(record)} · "
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
