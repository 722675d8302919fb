"""The status hub as a destination: always configured, always first.

The hub's pages read published statements straight from the database, so there
is nothing to send: delivering records that the statement is public, and the
outbox's first success is what marks a statement published. Every other
destination's message then links to the page that already shows it. Likewise a
correction needs no edit here: the page marks the original corrected from the
database as soon as the correction is published.
"""

from __future__ import annotations

from commands.ports import Publication

HUB = "hub"
EXTERNAL_ID_MAX = 200  # Delivery.external_id


class HubDestination:
    key = HUB
    label = "status page"

    async def deliver(self, publication: Publication) -> str:
        path = f"/status/incidents/{publication.incident_id}"
        url = publication.hub_url or path
        return url if len(url) <= EXTERNAL_ID_MAX else path

    async def amend(self, publication: Publication, original_external_id: str) -> None:
        """Nothing to edit: the pages read the correction from the database."""
