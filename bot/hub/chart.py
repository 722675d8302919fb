"""An SVG picture of an incident's public updates against the times they were due.

Drawn on the server as a plain string (no script, no style element, only presentation
attributes, so the hub's Content-Security-Policy needs nothing more): a time axis in
UTC; the incident's states as a labelled band along the top; each due time as a
diamond, with a thin line from when it was set; each overdue stretch shaded; each
public update as a circle labelled with its S-number. ``<title>`` and ``<desc>`` say
the same in words for screen readers, and every mark has its own ``<title>`` tooltip.
Every element the tests look for carries a ``class``: ``update``, ``due``, ``overdue``,
``state``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

from commands import KIND_LABELS, DueWindow, PublicRecord, late, plural, span

WIDTH, HEIGHT = 760, 230
LEFT, RIGHT = 24, 24
STATE_Y, DUE_Y, UPDATE_Y, AXIS_Y = 34, 104, 140, 172
PLOT_TOP = 52
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK, MUTED, BLUE, RED = "#1f2328", "#59636e", "#0b5cad", "#b3261e"
STATE_FILLS = {
    "investigating": "#fde7c4",
    "identified": "#dbe9fb",
    "monitoring": "#e4dcf7",
    "resolved": "#d3f0dc",
}
_STEPS = [timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)]


def _hhmm(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%H:%M}"


class _Scale:
    """Times to x positions, over the whole story: open to resolution (or now), plus any
    update published after it and a due time still ahead."""

    def __init__(self, record: PublicRecord) -> None:
        ends = [record.end, *(u.published_at for u in record.updates)]
        if record.resolved_at is None:
            ends += [w.due_at for w in record.due_windows[-1:]]
        self.start = record.opened_at
        self.stop = max([*ends, self.start + timedelta(minutes=10)])

    def x(self, moment: datetime) -> float:
        share = (moment - self.start) / (self.stop - self.start)
        return round(LEFT + max(0.0, min(1.0, share)) * (WIDTH - LEFT - RIGHT), 1)

    def ticks(self) -> list[datetime]:
        step = next((s for s in _STEPS if (self.stop - self.start) / s <= 8), _STEPS[-1])
        seconds = step.total_seconds()
        first = datetime.fromtimestamp(-(-self.start.timestamp() // seconds) * seconds, UTC)
        return [first + step * i for i in range(int((self.stop - first) / step) + 1)]


def _text(x: float, y: float, words: str, **attrs: str) -> str:
    extra = "".join(f" {k.rstrip('_').replace('_', '-')}={quoteattr(v)}" for k, v in attrs.items())
    return f'<text x="{x}" y="{y}"{extra}>{escape(words)}</text>'


def _label_width(label: str) -> float:
    return len(label) * 7.0  # about how wide 12 px text is


def _state_labels(spans: list[tuple[str, float, float]]) -> list[tuple[float, float]]:
    """(x, y) of each state's label: inside its band when it fits, else on a row above,
    pushed right past the previous one and, at the right edge, back left, so none overlap."""
    placed: list[tuple[float, float]] = []
    above: list[int] = []
    for index, (label, x0, x1) in enumerate(spans):
        if x1 - x0 >= _label_width(label) + 8:
            placed.append((x0 + 4, STATE_Y))
            continue
        previous = placed[above[-1]][0] + _label_width(spans[above[-1]][0]) + 10 if above else 0.0
        placed.append((max(x0, previous), 12))
        above.append(index)
    limit: float = WIDTH - RIGHT
    for index in reversed(above):
        x = min(placed[index][0], limit - _label_width(spans[index][0]))
        placed[index] = (x, 12)
        limit = x - 10
    return placed


def _states(record: PublicRecord, scale: _Scale) -> list[str]:
    spans = []
    for index, change in enumerate(record.states):
        after = record.states[index + 1].at if index + 1 < len(record.states) else scale.stop
        spans.append((f"{change.state} {_hhmm(change.at)}", scale.x(change.at), scale.x(after)))
    parts = []
    for change, (label, x0, x1), (x, y) in zip(
        record.states, spans, _state_labels(spans), strict=True
    ):
        fill = STATE_FILLS.get(change.state, "#eeeeee")
        parts.append(
            f'<g class="state"><title>{escape(label)} UTC</title>'
            f'<rect x="{x0}" y="{STATE_Y - 16}" width="{max(x1 - x0, 1.0)}" height="22" '
            f'fill="{fill}"/>'
            f'<line x1="{x0}" y1="{STATE_Y - 16}" x2="{x0}" y2="{AXIS_Y}" stroke="{MUTED}" '
            f'stroke-dasharray="3 3"/>' + _text(x, y, label, fill=INK, font_size="12") + "</g>"
        )
    return parts


def _overdue(record: PublicRecord, scale: _Scale) -> list[str]:
    parts = []
    for stretch in record.overdue:
        x0, x1 = scale.x(stretch.start), scale.x(stretch.end)
        ended = {"now": "still overdue", "resolution": "until resolution"}.get(
            stretch.ended_by, f"until {stretch.ended_by}"
        )
        tip = (
            f"Overdue {_hhmm(stretch.start)}–{_hhmm(stretch.end)} UTC "
            f"({span(stretch.end - stretch.start)}), {ended}"
        )
        parts.append(
            f'<rect class="overdue" x="{x0}" y="{PLOT_TOP}" width="{max(x1 - x0, 1.0)}" '
            f'height="{AXIS_Y - PLOT_TOP}" fill="{RED}" fill-opacity="0.14">'
            f"<title>{escape(tip)}</title></rect>"
        )
    return parts


def _due(record: PublicRecord, scale: _Scale) -> list[str]:
    parts = [
        f'<line x1="{LEFT}" y1="{DUE_Y}" x2="{WIDTH - RIGHT}" y2="{DUE_Y}" stroke="{MUTED}" '
        'stroke-dasharray="1 4"/>'
    ]
    for window in record.due_windows:
        xd = scale.x(window.due_at)
        d = f"M {xd} {DUE_Y - 7} L {xd + 7} {DUE_Y} L {xd} {DUE_Y + 7} L {xd - 7} {DUE_Y} Z"
        note, replaced = _due_note(window)
        stroke = f'"{MUTED}" stroke-dasharray="2 2"' if replaced else f'"{INK}"'
        parts.append(
            f'<path class="due" d="{d}" fill="#ffffff" stroke={stroke} stroke-width="1.5">'
            f"<title>Update due by {_hhmm(window.due_at)} UTC: {escape(note)}</title></path>"
        )
    return parts


def _due_note(window: DueWindow) -> tuple[str, bool]:
    """What became of a due time, and whether it was replaced before it came (drawn faint)."""
    why = {"new due time": "the cadence changed", "resolution": "resolved"}.get(
        window.ended_by, window.ended_by
    )
    if window.due_at >= window.end:
        if window.ended_by.startswith("S"):
            return f"met by {window.ended_by}", False
        if window.ended_by == "now":
            return "the next update", False
        return f"replaced before it came ({why})", True
    late = span(window.end - window.due_at)
    if window.ended_by.startswith("S"):
        return f"missed; {window.ended_by} came {late} later", False
    if window.ended_by == "now":
        return f"missed; overdue by {late}", False
    return f"missed by {late} ({why})", False


LABEL_ROWS = (UPDATE_Y + 22, UPDATE_Y - 12)  # below the circles, then above them
LABEL_GAP = 6.0


def _update_labels(xs: list[float], labels: list[str]) -> list[tuple[float, float]]:
    """(x, y) of each update's S-number, centred under its circle when there is room.
    Updates close in time would print their labels over each other (``S2`` on ``S4``
    reads "S¾"), so a label that would touch the one before goes to the row above the
    circles, and when both rows are taken it is pushed right of the nearer one; a last
    pass from the right edge pulls pushed labels back inside, still apart."""
    rows: list[list[int]] = [[] for _ in LABEL_ROWS]
    placed: list[tuple[float, float]] = []
    for index, (x, label) in enumerate(zip(xs, labels, strict=True)):
        half = _label_width(label) / 2

        def right_end(row: list[int]) -> float:
            if not row:
                return float("-inf")
            last = row[-1]
            return placed[last][0] + _label_width(labels[last]) / 2

        free = [r for r, row in enumerate(rows) if right_end(row) + LABEL_GAP <= x - half]
        row_index = free[0] if free else min(range(len(rows)), key=lambda r: right_end(rows[r]))
        centre = max(x, right_end(rows[row_index]) + LABEL_GAP + half)
        placed.append((centre, LABEL_ROWS[row_index]))
        rows[row_index].append(index)
    for row in rows:  # pull back inside the right edge, keeping the gaps
        limit: float = WIDTH - RIGHT
        for index in reversed(row):
            half = _label_width(labels[index]) / 2
            centre = min(placed[index][0], limit - half)
            placed[index] = (round(centre, 1), placed[index][1])
            limit = centre - half - LABEL_GAP
    return placed


def _updates(record: PublicRecord, scale: _Scale) -> list[str]:
    parts = []
    xs = [scale.x(update.published_at) for update in record.updates]
    labels = [f"S{update.number}" for update in record.updates]
    for update, x, (label_x, label_y) in zip(
        record.updates, xs, _update_labels(xs, labels), strict=True
    ):
        kind = KIND_LABELS.get(update.kind, update.kind.capitalize())
        late = f", {span(update.late_by)} late" if update.late_by else ""
        colour = RED if update.late_by else BLUE
        parts.append(
            f'<g class="update"><title>S{update.number} {escape(kind)} published '
            f"{_hhmm(update.published_at)} UTC{late}</title>"
            f'<circle cx="{x}" cy="{UPDATE_Y}" r="7" fill="{colour}"/>'
            + _text(
                label_x,
                label_y,
                f"S{update.number}",
                fill=INK,
                font_size="12",
                text_anchor="middle",
                class_="label",
            )
            + "</g>"
        )
    return parts


def _axis(scale: _Scale) -> list[str]:
    parts = [f'<line x1="{LEFT}" y1="{AXIS_Y}" x2="{WIDTH - RIGHT}" y2="{AXIS_Y}" stroke="{INK}"/>']
    for tick in scale.ticks():
        x = scale.x(tick)
        parts.append(f'<line x1="{x}" y1="{AXIS_Y}" x2="{x}" y2="{AXIS_Y + 5}" stroke="{INK}"/>')
        parts.append(
            _text(x, AXIS_Y + 19, _hhmm(tick), fill=MUTED, font_size="12", text_anchor="middle")
        )
    return parts


def _legend() -> list[str]:
    y = HEIGHT - 10
    return [
        f'<circle cx="{LEFT + 6}" cy="{y - 4}" r="6" fill="{BLUE}"/>',
        _text(LEFT + 16, y, "public update (red: late)", fill=INK, font_size="12"),
        f'<path d="M 214 {y - 11} L 221 {y - 4} L 214 {y + 3} L 207 {y - 4} Z" fill="#ffffff" '
        f'stroke="{INK}" stroke-width="1.5"/>',
        _text(227, y, "update due", fill=INK, font_size="12"),
        f'<rect x="318" y="{y - 12}" width="16" height="14" fill="{RED}" fill-opacity="0.14"/>',
        _text(340, y, "overdue", fill=INK, font_size="12"),
        _text(WIDTH - RIGHT, y, "times in UTC", fill=MUTED, font_size="12", text_anchor="end"),
    ]


def describe(record: PublicRecord, ref: str) -> str:
    """The chart in words (its ``<desc>``)."""
    updates = ", ".join(f"S{u.number} at {_hhmm(u.published_at)}" for u in record.updates)
    states = ", ".join(f"{s.state} at {_hhmm(s.at)}" for s in record.states)
    return (
        f"{ref} from {_hhmm(record.opened_at)} to {_hhmm(record.end)} UTC. "
        f"{plural(record.update_count, 'public update')}"
        + (f": {updates}" if updates else "")
        + f". {_sentence(late(record.late_updates, _hhmm))}. "
        f"States: {states}."
    )


def _sentence(words: str) -> str:
    """``2 late updates: …`` as a sentence of the description (``No late updates``)."""
    return words[:1].upper() + words[1:]


def render(record: PublicRecord, ref: str, *, id_prefix: str = "chart") -> str:
    """The whole chart as one ``<svg>`` element (standalone, or inline in a page)."""
    scale = _Scale(record)
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    body = [
        *_states(record, scale),
        *_overdue(record, scale),
        *_due(record, scale),
        *_axis(scale),
        *_updates(record, scale),
        *_legend(),
    ]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" font-family={quoteattr(FONT)}>'
        f'<title id="{title_id}">{escape(ref)}: public updates against the times they were '
        f"due</title>"
        f'<desc id="{desc_id}">{escape(describe(record, ref))}</desc>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>' + "".join(body) + "</svg>"
    )
