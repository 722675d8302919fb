"""The crisis-comms checklist shown on every draft (CRISIS-COMMS.md practice 3).

A suspected secret, or a ``[FILL IN: …]`` placeholder the team has not replaced yet
(the postmortem draft has some), blocks approval; everything else is advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from commands import secrets
from commands.approval.phrases import ChecklistPhrases

DEFAULT_PHRASES = ChecklistPhrases()


@dataclass(frozen=True)
class Check:
    label: str
    ok: bool
    blocking: bool = False
    note: str = ""


_IMPACT = re.compile(
    r"\b(aware|affect\w*|impact\w*|issue|problem|outage|disruption|degraded|unavailable|"
    r"unable|errors?|delay\w*|down|failing|fail\w*|resolved|fixed|incident)\b",
    re.IGNORECASE,
)
_ACTION = re.compile(
    r"\b(you (can|should|may|need|don't need|do not need|might)|please|no action|retry|"
    r"try again|workaround|contact|nothing (you|to) )",
    re.IGNORECASE,
)
_NEXT_UPDATE = re.compile(r"\b(next|further) update\b|\bupdate (you )?(by|at|in)\b", re.IGNORECASE)
_INTERNAL = re.compile(
    r"(\binternal\b|\bjira\b|\bpagerduty\b|\bconfluence\b|#inc-\d|\bstack ?trace\b|\btraceback\b|"
    r"\b[\w-]+\.(internal|local|corp|lan)\b|\b10\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|"
    r"\b192\.168\.\d{1,3}\.\d{1,3}\b|\b(prod|staging)-[\w-]+\b|\{\w+\})",
    re.IGNORECASE,
)
# Secrets are found by commands.secrets (detect-secrets plus a few formats it lacks).


_PLACEHOLDER = re.compile(r"\[FILL IN\b[^\]]*\]", re.IGNORECASE)


def placeholder(what: str) -> str:
    """A gap in a generated draft that a person must fill before it can be approved."""
    return f"[FILL IN: {what}]"


def placeholders_in(body: str) -> int:
    return len(_PLACEHOLDER.findall(body))


def _placeholder_check(body: str) -> Check:
    count = placeholders_in(body)
    note = f"{count} “[FILL IN …]” left to replace" if count else ""
    return Check("no placeholders left", count == 0, blocking=True, note=note)


def secrets_in(body: str) -> list[str]:
    """What kinds of secret the body seems to hold ("an AWS access key"); never the values."""
    return secrets.secrets_in(body)


def review(body: str, kind: str, phrases: ChecklistPhrases = DEFAULT_PHRASES) -> list[Check]:
    """Run the checklist over a statement body; ``phrases``: the team's blame and password
    table (CANDOR_CONFIG ``[checklist]``)."""
    secrets = secrets_in(body)
    if phrases.password(body) and "a password or key" not in secrets:
        secrets.append("a password written out")
    internal = _INTERNAL.search(body)
    blame = phrases.blame(body)
    needs_next = kind not in ("resolution", "postmortem")
    gaps = [_placeholder_check(body)] if kind == "postmortem" or placeholders_in(body) else []
    return [
        Check("acknowledges impact", bool(_IMPACT.search(body))),
        Check("tells users what to do", bool(_ACTION.search(body))),
        Check(
            "gives the next update time",
            not needs_next or bool(_NEXT_UPDATE.search(body)),
            note="" if needs_next else "not needed for a resolution",
        ),
        Check("no blame-shifting", blame is None, note=f"“{blame}”" if blame else ""),
        Check(
            "nothing internal leaked",
            internal is None,
            note=f"“{internal.group(0)}”" if internal else "",
        ),
        Check(
            "no secrets",
            not secrets,
            blocking=True,
            note=f"looks like {', '.join(secrets)}" if secrets else "",
        ),
        *gaps,
    ]


def blocking_problems(body: str, phrases: ChecklistPhrases = DEFAULT_PHRASES) -> list[str]:
    return [
        f"{c.label}: {c.note}" for c in review(body, "update", phrases) if c.blocking and not c.ok
    ]
