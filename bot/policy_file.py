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
    [severities]             # words read as a severity at the end of `open`
    sev1 = ["critical", "blocker"]   # replaces that severity's default words
    [checklist]              # added to the checklist's phrase table (commands.approval.phrases)
    blame_phrases = ["dropped the ball"]
    blame_targets = ["the night shift"]
    password_words = ["door code"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

from commands import (
    DEFAULT_RULES,
    DEFAULT_SEVERITY_WORDS,
    DEFAULT_TEMPLATES,
    SEVERITIES,
    AlertMapping,
    CadencePolicy,
    ChecklistPhrases,
    PolicyError,
    Template,
    parse_alert_mapping,
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
    severity_words: Mapping[str, str] = DEFAULT_SEVERITY_WORDS
    checklist: ChecklistPhrases = ChecklistPhrases()
    alerts: AlertMapping = AlertMapping()  # [alerts]: how alerts become incidents


def _words(table: Any, where: str, example: str) -> dict[str, list[str]]:
    """A TOML table of string lists, checked: ``{key: ["word", …]}``."""
    if not isinstance(table, dict) or not all(
        isinstance(v, list) and all(isinstance(w, str) and w.strip() for w in v)
        for v in table.values()
    ):
        raise PolicyError(f"[{where}] should hold lists of words: {example}")
    return {key: [w.strip().lower() for w in value] for key, value in table.items()}


def _severity_words(table: Any) -> dict[str, str]:
    """Each severity named replaces its default words; a word is one word, no digits."""
    lists = _words(table, "severities", 'sev1 = ["critical", "blocker"]')
    named = {w: s for w, s in DEFAULT_SEVERITY_WORDS.items() if s not in lists}
    for severity, words in lists.items():
        if severity not in SEVERITIES:
            raise PolicyError(f'severities.{severity}: use sev1..sev4 = ["critical"]')
        for word in words:
            if not word.isalpha():
                raise PolicyError(f"severities.{severity}: {word!r} should be one word, letters")
            named[word] = severity
    return named


_CHECKLIST_KEYS = ("blame_phrases", "blame_targets", "password_words")


def _checklist(table: Any) -> ChecklistPhrases:
    lists = _words(table, "checklist", 'blame_targets = ["the night shift"]')
    unknown = set(lists) - set(_CHECKLIST_KEYS)
    if unknown:
        raise PolicyError(f"[checklist] knows {', '.join(_CHECKLIST_KEYS)}, not {min(unknown)}")
    return ChecklistPhrases().extended(**lists)


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
    return PolicyFile(
        cadence,
        templates,
        parse_rules(authority),
        _severity_words(data.get("severities", {})),
        _checklist(data.get("checklist", {})),
        _alerts(data.get("alerts", {})),
    )


def _alerts(table: Any) -> AlertMapping:
    if not isinstance(table, dict):
        raise PolicyError('[alerts] should be a table: severity_label = "severity"')
    return parse_alert_mapping(table)
