"""The optional TOML policy file named by ``CANDOR_CONFIG``.

For policy that does not fit one environment line::

    [cadence.first]          # first public update after open
    sev3 = "20m"
    [cadence.every]          # then every...
    sev1 = "15m"
    [templates.holding]      # override or add a template
    kind = "update"
    preapproved = true
    body = "We are still on it ({title}). Next update by {next_update}."
    [authority]              # who may run a command (commands.authority.rules)
    state = ["commander", "comms", "tech-lead"]
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

from commands import (
    DEFAULT_RULES,
    DEFAULT_TEMPLATES,
    SEVERITIES,
    CadencePolicy,
    PolicyError,
    Template,
    parse_duration,
    parse_rules,
)


def _durations(table: dict[str, Any], where: str) -> dict[str, timedelta]:
    result = {}
    for severity, value in table.items():
        duration = parse_duration(str(value))
        if severity not in SEVERITIES or duration is None or duration <= timedelta(0):
            raise PolicyError(f'{where}.{severity} = {value!r}: use sev1..sev4 = "30m"')
        result[severity] = duration
    return result


class PolicyFile(NamedTuple):
    cadence: CadencePolicy
    templates: dict[str, Template]
    authority: dict[str, tuple[str, ...]]


def load_policy_file(path: Path | None) -> PolicyFile:
    cadence, templates = CadencePolicy(), dict(DEFAULT_TEMPLATES)
    if path is None:
        return PolicyFile(cadence, templates, dict(DEFAULT_RULES))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"CANDOR_CONFIG {path}: {error}") from error
    section = data.get("cadence", {})
    cadence = replace(
        cadence,
        first={**cadence.first, **_durations(section.get("first", {}), "cadence.first")},
        every={**cadence.every, **_durations(section.get("every", {}), "cadence.every")},
    )
    for name, spec in data.get("templates", {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("body"), str):
            raise PolicyError(f'templates.{name} needs a body = "..."')
        kind = spec.get("kind", "update")
        if kind not in ("ack", "update", "resolution"):
            raise PolicyError(f"templates.{name}.kind must be ack, update or resolution")
        templates[name] = Template(name, kind, spec["body"], bool(spec.get("preapproved")))
    authority = data.get("authority", {})
    if not isinstance(authority, dict):
        raise PolicyError('[authority] should be a table: state = ["commander", "comms"]')
    return PolicyFile(cadence, templates, parse_rules(authority))
