"""Alert labels → an incident's severity (the ``[alerts]`` table of CANDOR_CONFIG)::

[alerts]
severity_label = "severity"   # the label that carries the severity
default_severity = "sev2"     # when it is missing or not in the table
[alerts.severities]           # label value → sev1..sev4 (these are the defaults)
critical = "sev1"
page = "sev1"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from commands.approval.policy import PolicyError
from commands.domain import DEFAULT_SEVERITY, SEVERITIES

DEFAULT_SEVERITIES: Mapping[str, str] = {
    "critical": "sev1",
    "error": "sev2",
    "major": "sev2",
    "warning": "sev3",
    "info": "sev4",
}


@dataclass(frozen=True)
class AlertMapping:
    severity_label: str = "severity"
    severities: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    default_severity: str = DEFAULT_SEVERITY

    def severity(self, raw: str) -> str:
        return self.severities.get(raw.strip().lower(), self.default_severity)

    def most_severe(self, raws: list[str]) -> str:
        """The group's severity: that of its most severe alert (sev1 first)."""
        return min((self.severity(raw) for raw in raws), default=self.default_severity)


def _severity(value: object, where: str) -> str:
    if not isinstance(value, str) or value.lower() not in SEVERITIES:
        raise PolicyError(f'{where} = {value!r}: use one of {", ".join(SEVERITIES)}, e.g. "sev1"')
    return value.lower()


def parse_alert_mapping(table: Mapping[str, object]) -> AlertMapping:
    """The ``[alerts]`` table → the mapping, every bad entry named."""
    label = table.get("severity_label", "severity")
    if not isinstance(label, str) or not label.strip():
        raise PolicyError('alerts.severity_label should be a label name, e.g. "severity"')
    default = _severity(table.get("default_severity", DEFAULT_SEVERITY), "alerts.default_severity")
    extra = table.get("severities", {})
    if not isinstance(extra, Mapping):
        raise PolicyError('[alerts.severities] should be a table: critical = "sev1"')
    severities = dict(DEFAULT_SEVERITIES)
    for value, severity in extra.items():
        severities[str(value).strip().lower()] = _severity(severity, f"alerts.severities.{value}")
    return AlertMapping(label.strip(), severities, default)
