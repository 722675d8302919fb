"""Policies: the public-update cadence per severity and who may approve statements."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from commands.domain import COMMANDER, COMMS, SEVERITIES
from commands.ports import Actor

APPROVE = "approve"
APPROVER = "approver"
REJECT = "reject"


def _minutes(**values: int) -> dict[str, timedelta]:
    return {sev: timedelta(minutes=m) for sev, m in values.items()}


@dataclass(frozen=True)
class CadencePolicy:
    """When the first public update is due after open, then how often after that."""

    first: Mapping[str, timedelta] = field(
        default_factory=lambda: _minutes(sev1=10, sev2=10, sev3=30, sev4=30)
    )
    every: Mapping[str, timedelta] = field(
        default_factory=lambda: _minutes(sev1=20, sev2=30, sev3=60, sev4=120)
    )


@dataclass(frozen=True)
class ApproverSpec:
    """One entry of APPROVERS: a user, a platform group, or an incident role."""

    kind: str  # "user" | "group" | "role"
    value: str
    platform: str | None = None
    group_word: str = "group"  # how people write the platform's groups (its adapter says)

    def __str__(self) -> str:
        if self.kind == "role":
            return f"role:{self.value}"
        middle = f"{self.group_word}:" if self.kind == "group" else ""
        return f"{self.platform}:{middle}{self.value}"


class PolicyError(ValueError):
    """A setting that cannot be understood; raised at start, with the bad entry named."""


def parse_approvers(entries: Sequence[str], setting: str = "APPROVERS") -> tuple[ApproverSpec, ...]:
    """``platform:U123``, ``platform:group:S123`` (or ``:role:``), ``role:comms``..."""
    specs = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        parts = entry.split(":")
        if parts[0] == "role" and len(parts) == 2 and parts[1]:
            specs.append(ApproverSpec("role", parts[1].lower()))
        elif len(parts) == 2 and parts[0] and parts[1]:
            specs.append(ApproverSpec("user", parts[1], parts[0].lower()))
        elif len(parts) == 3 and parts[1] in ("group", "role") and parts[2]:
            specs.append(ApproverSpec("group", parts[2], parts[0].lower()))
        else:
            raise PolicyError(
                f"{setting} entry {entry!r} is not one of platform:USER, platform:group:ID, "
                "platform:role:ID or role:NAME"
            )
    return tuple(specs)


def parse_required(value: str) -> dict[str, int]:
    """``sev1:2,sev2:1`` → per-severity quorum; severities not named need 1."""
    required = dict.fromkeys(SEVERITIES, 1)
    for item in filter(None, (part.strip() for part in value.split(","))):
        sev, _, count = item.partition(":")
        if sev.lower() not in required or not count.isdigit() or not 1 <= int(count) <= 5:
            raise PolicyError(f"APPROVALS_REQUIRED entry {item!r} should look like sev1:2 (1-5)")
        required[sev.lower()] = int(count)
    return required


@dataclass(frozen=True)
class ApprovalPolicy:
    # A third role so a SEV1 draft by the commander or comms can still get two approvals
    # from people who did not write it (the commander assigns `approver` when needed).
    approvers: tuple[ApproverSpec, ...] = (
        ApproverSpec("role", COMMANDER),
        ApproverSpec("role", COMMS),
        ApproverSpec("role", APPROVER),
    )
    required: Mapping[str, int] = field(
        default_factory=lambda: {"sev1": 2, "sev2": 1, "sev3": 1, "sev4": 1}
    )
    author_counts: bool = False
    approve_emoji: str = "white_check_mark"
    reject_emoji: str = "x"

    def quorum(self, severity: str, preapproved_unedited: bool) -> int:
        return 1 if preapproved_unedited else self.required.get(severity, 1)

    def describe(self) -> str:
        return ", ".join(str(spec) for spec in self.approvers)

    def spelled(self, group_words: Mapping[str, str]) -> ApprovalPolicy:
        """Groups written the way each platform names them (platform → word, e.g. "role")."""
        approvers = tuple(
            replace(spec, group_word=group_words.get(spec.platform or "", spec.group_word))
            for spec in self.approvers
        )
        return replace(self, approvers=approvers)

    def is_eligible(
        self, actor: Actor, roles: Mapping[str, str], groups: Collection[str] = ()
    ) -> bool:
        """May this person approve? ``groups``: the platform groups they are in, asked
        before the unit of work opened (``commands.authority.groups``)."""
        for spec in self.approvers:
            if spec.kind == "role" and roles.get(spec.value) == actor.user_id:
                return True
            if (spec.kind, spec.platform, spec.value) == ("user", actor.platform, actor.user_id):
                return True
            if (spec.kind, spec.platform) == ("group", actor.platform) and spec.value in groups:
                return True
        return False


EMOJI_ALIASES = {
    "✅": "white_check_mark",
    "✔️": "heavy_check_mark",
    "✔": "heavy_check_mark",
    "❌": "x",
    "👍": "+1",
    "👎": "-1",
    "thumbsup": "+1",
    "thumbsdown": "-1",
}


def normalise_emoji(emoji: str) -> str:
    """``:white_check_mark:``, ``✅`` and ``white_check_mark`` are the same reaction."""
    emoji = emoji.strip().strip(":")
    return EMOJI_ALIASES.get(emoji, emoji).lower()
