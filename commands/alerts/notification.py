"""One notification from an alerting system, already read from its payload (bot/alerts):
the group it is about, and the state of each of the group's alerts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from urllib.parse import urlsplit

from commands.secrets import redact_url, secrets_in

FIRING = "firing"
RESOLVED = "resolved"

# How each source is named to people; also the system actor's name (commands.alerts.intake).
SOURCE_NAMES = {"alertmanager": "Alertmanager", "grafana": "Grafana", "generic": "Alerts"}


@dataclass(frozen=True)
class Alert:
    fingerprint: str  # stable per alert within its group (Alertmanager's, or made from labels)
    status: str  # firing | resolved
    name: str  # alertname, or the generic title
    summary: str = ""  # the summary annotation: internal wording, never put in a draft
    severity: str = ""  # the raw severity label; mapped by commands.alerts.mapping
    description: str = ""
    url: str = ""  # generatorURL, a dashboard...

    @property
    def firing(self) -> bool:
        return self.status == FIRING


@dataclass(frozen=True)
class Notification:
    source: str  # alertmanager | grafana | generic
    group_key: str  # Alertmanager's groupKey, a Grafana rule, a generic key
    status: str  # the group's: firing while any alert fires
    alerts: tuple[Alert, ...] = field(default_factory=tuple)
    title: str = ""  # the group's common summary, when it has one

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(f"{self.source}\0{self.group_key}".encode()).hexdigest()

    @property
    def digest(self) -> str:
        """The same for a retried or re-sent notification, different when anything in it
        changed: a retry is recognised however many arrive in between."""
        canonical = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def firing(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.firing)

    @property
    def source_name(self) -> str:
        return SOURCE_NAMES.get(self.source, self.source)

    @property
    def label(self) -> str:
        """The group as people know it: its alert name(s)."""
        names = list(dict.fromkeys(a.name for a in self.alerts if a.name))
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return (shown or self.group_key)[:200]


def _withheld(value: str) -> str:
    found = secrets_in(value) if value else []
    return f"[withheld: it looks like {' and '.join(found)}]" if found else value


def _safe_url(url: str) -> str:
    """Kept as sent (a Prometheus graph link needs its query) unless it carries a password
    or something that looks like a secret: then redacted."""
    try:
        has_password = urlsplit(url).password is not None
    except ValueError:
        has_password = True
    return redact_url(url) if url and (has_password or secrets_in(url)) else url


def withhold_secrets(note: Notification) -> Notification:
    """The notification with every text that looks like a secret replaced by a note of what
    it looked like: alert text reaches the channel, the timeline and the database, and
    nothing secret is shown anywhere."""
    alerts = tuple(
        replace(
            alert,
            name=_withheld(alert.name),
            summary=_withheld(alert.summary),
            description=_withheld(alert.description),
            url=_safe_url(alert.url),
        )
        for alert in note.alerts
    )
    return replace(note, alerts=alerts, title=_withheld(note.title))
