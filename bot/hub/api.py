"""The JSON API: the same public record as the pages, described by incidents.schema.json."""

from __future__ import annotations

import json
from datetime import timedelta
from importlib import resources
from typing import Any

from bot.hub.pages import iso
from bot.hub.record import FrontPage, PublicIncident, StatementLink
from commands import LateUpdate, PublicRecord

SCHEMA_FILE = "incidents.schema.json"


def schema_bytes() -> bytes:
    return resources.files("bot.hub").joinpath(SCHEMA_FILE).read_bytes()


def _time(moment: Any) -> str | None:
    return iso(moment) if moment is not None else None


def _link(link: StatementLink | None, url: str) -> dict[str, Any] | None:
    if link is None:
        return None
    return {"ref": link.ref, "published_at": iso(link.published_at), "url": f"{url}#{link.anchor}"}


def _seconds(delta: timedelta | None) -> int | None:
    return round(delta.total_seconds()) if delta is not None else None


def _late(item: LateUpdate, url: str) -> dict[str, Any]:
    """A late update: the one that came late (``ref``), or a due time none answered."""
    came = item.number is not None
    return {
        "ref": f"S{item.number}" if came else None,
        "due_at": iso(item.due_at),
        "published_at": iso(item.until) if came else None,
        "until": iso(item.until),
        "ended_by": "update" if came else item.ended_by,
        "late_by_seconds": _seconds(item.late_by),
        "url": f"{url}#s{item.number}" if came else None,
    }


def communication_json(record: PublicRecord | None, url: str) -> dict[str, Any] | None:
    """The public half of the communication record (the figures the page shows)."""
    if record is None:
        return None
    silence = record.longest_silence
    return {
        "first_update_after_seconds": _seconds(record.first_update_after),
        "public_updates": record.update_count,
        "longest_silence": None
        if silence is None
        else {
            "seconds": _seconds(silence.length),
            "from": iso(silence.start),
            "to": iso(silence.end),
        },
        "late_updates": [_late(item, url) for item in record.late_updates],
        "overdue_now_seconds": _seconds(record.overdue_now),
        "chart_url": f"{url}/chart.svg",
    }


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
                "corrects": _link(s.corrects, url),
                "corrected_by": _link(s.corrected_by, url),
            }
            for s in incident.statements
        ],
        "communication": communication_json(incident.record, url),
    }


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def incidents_document(page: FrontPage, base_url: str) -> bytes:
    return _dump({"incidents": [incident_json(i, base_url) for i in page.incidents]})


def incident_document(incident: PublicIncident, base_url: str) -> bytes:
    return _dump({"incident": incident_json(incident, base_url)})


def error_document(message: str) -> bytes:
    return _dump({"error": message})
