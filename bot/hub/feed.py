"""The Atom feed: one entry per published statement, newest first (built with feedgen)."""

from __future__ import annotations

from datetime import datetime

from feedgen.feed import FeedGenerator

from bot.hub.record import PublicIncident, PublicStatement


def statement_url(base_url: str, incident: PublicIncident, statement: PublicStatement) -> str:
    return f"{base_url}{incident.path}#{statement.anchor}"


def atom(
    entries: list[tuple[PublicIncident, PublicStatement]],
    *,
    base_url: str,
    title: str,
    now: datetime,
) -> bytes:
    feed = FeedGenerator()
    feed.id(f"{base_url}/status")
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
        entry.title(f"{incident.ref} · {statement.label}: {incident.title}")
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(statement.published_at)
        entry.updated(statement.published_at)
        entry.content(statement.body, type="text")
        entry.category(term=incident.severity, label=incident.severity.upper())
        if statement.signer:
            entry.author(name=statement.signer)
    body: bytes = feed.atom_str(pretty=True)
    return body
