"""What the team is told in chat about alerts. Internal messages: they may quote the
alert (its name, summary, links), which public drafts never do."""

from __future__ import annotations

from commands.alerts.notification import Alert, Notification
from commands.domain import PUBLIC_ALERT_TITLE, incident_ref, statement_ref
from commands.ports import Line, Link, Message, Strong, text
from commands.record.wording import plural
from storage import Incident

SHOWN_ALERTS = 5  # alerts listed in one message; the rest are counted


def _alert_line(alert: Alert) -> Line:
    line: list[str | Link | Strong] = ["• ", Strong(alert.name or "alert")]
    if alert.severity:
        line.append(f" ({alert.severity})")
    if alert.summary:
        line.append(f": {alert.summary[:300]}")
    if alert.url.startswith(("https://", "http://")):
        line += [" — ", Link(alert.url[:2000], "source")]
    return tuple(line)


def _alert_lines(alerts: tuple[Alert, ...]) -> list[Line]:
    lines = [_alert_line(alert) for alert in alerts[:SHOWN_ALERTS]]
    if len(alerts) > SHOWN_ALERTS:
        lines.append((f"… and {len(alerts) - SHOWN_ALERTS} more",))
    return lines


def opened(note: Notification, ack_number: int) -> Message:
    firing = note.firing
    return Message(
        lines=(
            (
                "🔔 Opened by ",
                Strong(note.source_name),
                f": {plural(len(firing), 'alert')} firing in {note.label}.",
            ),
            *_alert_lines(firing),
            (
                f"The acknowledgement draft {statement_ref(ack_number)} names none of this; "
                f"the public sees the title “{PUBLIC_ALERT_TITLE}” until you "
                "`/incident rename` it. Take command: `/incident assign commander @you`.",
            ),
        )
    )


def more_firing(note: Notification, new: tuple[Alert, ...], total: int) -> Message:
    return Message(
        lines=(
            (
                f"🔔 {plural(len(new), 'more alert')} firing in this group "
                f"({note.label}); {total} firing now.",
            ),
            *_alert_lines(new),
        )
    )


def firing_again(note: Notification) -> Message:
    return text(
        f"🔔 {note.label} is firing again: {plural(len(note.firing), 'alert')} (it had resolved)."
    )


def group_resolved(note: Notification, draft_number: int | None, incident: Incident) -> Message:
    ref = incident_ref(incident.number)
    then = (
        f"A `monitoring` draft {statement_ref(draft_number)} is ready for approval. "
        if draft_number is not None
        else ""
    )
    return text(
        f"✅ Every alert in {note.label} has resolved ({note.source_name}). {then}"
        f"Resolving {ref} stays your call: `/incident resolve [summary]`."
    )


def flood_summary(incident: Incident, attached: int, limit: int, note: Notification) -> Message:
    return text(
        (
            "🌊 ",
            Strong("Alert flood"),
            f": more than {plural(limit, 'incident')} from alerts this hour, so new alert "
            f"groups join {incident_ref(incident.number)} instead of opening their own — "
            f"{plural(attached, 'group')} so far, the latest {note.label}. "
            "(At most one such message a minute.)",
        )
    )


def flood_feed(incident: Incident | None, limit: int) -> Message:
    where = (
        f"they join {incident_ref(incident.number)} (#{incident.channel_name})"
        if incident is not None
        else "they are recorded but open nothing until an alert-opened incident is open"
    )
    return text(
        (
            "🌊 ",
            Strong("Alert flood"),
            f": the limit of {plural(limit, 'incident')} from alerts an hour "
            f"(ALERTS_MAX_INCIDENTS_PER_HOUR) is reached; new alert groups open no incident: "
            f"{where}.",
        )
    )
