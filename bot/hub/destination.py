"""The status hub as a destination: always configured, always first.

The hub's pages are rendered from published statements in the database, so there
is nothing to send: delivering records that the statement is public, and the
outbox's first success is what marks a statement published. Every other
destination's message then links to the page that already shows it. Likewise a
correction needs no edit here: the page marks the original corrected from the
database as soon as the correction is published. What is sent is a signal: the
hub's kept renderings (bot/hub/rendering.py) are out of date (``on_publish``).
"""

from __future__ import annotations

from collections.abc import Callable

from commands import Publication

HUB = "hub"
EXTERNAL_ID_MAX = 200  # Delivery.external_id


class HubDestination:
    key = HUB
    label = "status page"

    def __init__(self) -> None:
        self._listeners: list[Callable[[Publication], None]] = []

    def on_publish(self, listener: Callable[[Publication], None]) -> None:
        """Call ``listener`` for each statement (or correction) going out through the hub."""
        self._listeners.append(listener)

    def _changed(self, publication: Publication) -> None:
        for listener in self._listeners:
            listener(publication)

    async def deliver(self, publication: Publication) -> str:
        self._changed(publication)
        path = f"/status/incidents/{publication.incident_id}"
        url = publication.hub_url or path
        return url if len(url) <= EXTERNAL_ID_MAX else path

    async def amend(self, publication: Publication, original_external_id: str) -> None:
        """Nothing to edit: the pages are rendered again with the correction."""
        self._changed(publication)
