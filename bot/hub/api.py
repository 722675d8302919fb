"""The JSON API: the same public record as the pages, described by incidents.schema.json."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from bot.hub.pages import iso
from bot.hub.record import FrontPage, PublicIncident

SCHEMA_FILE = "incidents.schema.json"


def schema_bytes() -> bytes:
    return resources.files("bot.hub").joinpath(SCHEMA_FILE).read_bytes()


def _time(moment: Any) -> str | None:
    return iso(moment) if moment is not None else None


def incident_json(incident: PublicIncident, base_url: str) -> dict[str, Any]:
    url = f"{base_url}{incident.path}"
    return {
        "id": incident.id,
        "ref": incident.ref,
        "title": incident.title,
        "severity": incident.severity,
        "state": incident.state,
        "url": url,
        "last_update_at": _time(incident.last_update_at),
        "next_update_due_at": _time(incident.next_update_by),
        "resolved_at": _time(incident.resolved_at if not incident.is_open else None),
        "statements": [
            {
                "ref": s.ref,
                "kind": s.kind,
                "label": s.label,
                "body": s.body,
                "signer": s.signer,
                "published_at": iso(s.published_at),
                "url": f"{url}#{s.anchor}",
            }
            for s in incident.statements
        ],
    }


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def incidents_document(page: FrontPage, base_url: str) -> bytes:
    return _dump({"incidents": [incident_json(i, base_url) for i in page.incidents]})


def incident_document(incident: PublicIncident, base_url: str) -> bytes:
    return _dump({"incident": incident_json(incident, base_url)})


def error_document(message: str) -> bytes:
    return _dump({"error": message})
