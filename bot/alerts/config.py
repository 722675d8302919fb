"""The ``[alerts]`` table of CANDOR_CONFIG (severity label and table; see
commands/alerts/mapping.py). Read beside bot/policy_file.py, from the same file."""

from __future__ import annotations

import tomllib
from pathlib import Path

from commands import AlertMapping, PolicyError, parse_alert_mapping


def load_alert_mapping(path: Path | None) -> AlertMapping:
    if path is None:
        return AlertMapping()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"CANDOR_CONFIG {path}: {error}") from error
    table = data.get("alerts", {})
    if not isinstance(table, dict):
        raise PolicyError('[alerts] should be a table: severity_label = "severity"')
    return parse_alert_mapping(table)
