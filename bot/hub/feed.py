"""The Atom feed: one entry per published statement, newest first (built with feedgen).

A corrected statement's entry keeps its words and is updated (new ``updated`` time,
"Corrected" in its title, a note first in its content) so feed readers show it again;
a correction's entry names and links the entry it corrects at the start of its content
(not as a ``rel="related"`` link: feedgen 1.0 drops the ``rel`` of entry links)."""

from __future__ import annotations

from datetime import datetime

from feedgen.feed import FeedGenerator

from bot.hub.pages import human
from bot.hub.record import PublicIncident, PublicStatement
from commands import printable


def statement_url(base_url: str, incident: PublicIncident, statement: PublicStatement) -> str:
    return f"{base_url}{incident.path}#{statement.anchor}"


def _content(base_url: str, incident: PublicIncident, statement: PublicStatement) -> str:
    notes = []
    if statement.corrected_by is not None:
        link = statement.corrected_by
        notes.append(
            f"[Corrected at {human(link.published_at)}: see the correction, "
            f"{base_url}{incident.path}#{link.anchor}. The wording below is as first published.]"
        )
    if statement.corrects is not None:
        link = statement.corrects
        notes.append(
            f"[This corrects our update of {human(link.published_at)}, "
            f"{base_url}{incident.path}#{link.anchor}.]"
        )
    return printable("\n\n".join([*notes, statement.body]))


def atom(
    entries: list[tuple[PublicIncident, PublicStatement]],
    *,
    base_url: str,
    title: str,
    now: datetime,
) -> bytes:
    feed = FeedGenerator()
    feed.id(f"{base_url}/status")
    # Every text goes through ``printable``: feedgen (lxml) refuses a document with an
    # XML-invalid character, and one stored in any field would fail the feed for good.
    title = printable(title)
    feed.title(title)
    feed.subtitle("Every update we publish about incidents, newest first.")
    feed.author(name=title)
    feed.link(href=f"{base_url}/status", rel="alternate", type="text/html")
    feed.link(href=f"{base_url}/status/feed.atom", rel="self", type="application/atom+xml")
    feed.language("en")
    # The newest entry dates the feed, so unchanged content keeps its ETag.
    feed.updated(entries[0][1].published_at if entries else now)
    for incident, statement in entries:
        url = statement_url(base_url, incident, statement)
        entry = feed.add_entry(order="append")
        entry.id(url)
        corrected = statement.corrected_by
        mark = " (corrected)" if corrected is not None else ""
        entry.title(printable(f"{incident.ref} · {statement.label}{mark}: {incident.title}"))
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(statement.published_at)
        entry.updated(corrected.published_at if corrected else statement.published_at)
        entry.content(_content(base_url, incident, statement), type="text")
        entry.category(
            term=printable(incident.severity), label=printable(incident.severity.upper())
        )
        if statement.signer and (signer := printable(statement.signer).strip()):
            entry.author(name=signer)
    body: bytes = feed.atom_str(pretty=True)
    return body
