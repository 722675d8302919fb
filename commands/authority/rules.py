"""Who may run each verb: the rule in its row of ``commands.grammar.verbs``, shown by
`/incident help`.

A rule names who may: ``anyone``, an incident role (``commander``, ``comms`` or any
custom role word), ``author`` (the people who wrote the draft being edited) or
``approvers`` (the approval policy decides, vote by vote). ``ADMINS`` may always.
Teams change rows in ``CANDOR_CONFIG``::

    [authority]
    state = ["commander", "comms", "tech-lead"]
    task = ["commander"]

Approve and reject stay with the approval policy (``APPROVERS``), whatever the file says:
the approval gate is not something a config typo should open.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from commands.approval.policy import ApproverSpec, PolicyError
from commands.domain import COMMANDER, COMMS, ROLE_PATTERN
from commands.ports import Actor

ANYONE = "anyone"
AUTHOR = "author"
APPROVERS = "approvers"


def default_rules() -> Mapping[str, tuple[str, ...]]:
    """Each verb's rule as its row in the verb table (``commands.grammar.verbs``) has it. Read when
    first needed, not imported above: the table holds the handlers, which import this
    module (through ``commands.context``)."""
    from commands.grammar.verbs import DEFAULT_RULES

    return DEFAULT_RULES


_NAMES = {COMMANDER: "the commander", COMMS: "the comms owner", AUTHOR: "the draft's author"}


def _either(names: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


@dataclass(frozen=True)
class AuthorityPolicy:
    rules: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(default_rules()))
    admins: tuple[ApproverSpec, ...] = ()

    def who(self, verb: str) -> tuple[str, ...]:
        return self.rules.get(verb, default_rules()[verb])

    def describe(self, verb: str) -> str:
        """``the commander, the comms owner or an admin (ADMINS)``: who may, in words, for
        help and refusals."""
        who = self.who(verb)
        if ANYONE in who:
            return "anyone"
        if APPROVERS in who:
            return "approvers (APPROVERS) or an admin (ADMINS)"
        return _either([*(_NAMES.get(w, f"the {w}") for w in who), "an admin (ADMINS)"])

    def is_admin(self, actor: Actor, groups: Collection[str] = ()) -> bool:
        """Named in ADMINS, by id or through a group they are in (``groups``, asked before
        the unit of work opened)."""
        for spec in self.admins:
            if spec.platform != actor.platform:
                continue
            if spec.kind == "user" and spec.value == actor.user_id:
                return True
            if spec.kind == "group" and spec.value in groups:
                return True
        return False

    def holds(
        self,
        verb: str,
        actor: Actor,
        roles: Mapping[str, str],
        authors: Collection[str] = (),
    ) -> bool:
        """Does a rule other than ``approvers`` let this person (admins aside)?"""
        for who in self.who(verb):
            if who == ANYONE:
                return True
            if who == AUTHOR and actor.user_id in authors:
                return True
            if roles.get(who) == actor.user_id:
                return True
        return False


def parse_rules(table: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """The ``[authority]`` table of CANDOR_CONFIG → rules, with every bad entry named."""
    rules = dict(default_rules())
    for verb, who in table.items():
        if verb not in rules:
            raise PolicyError(f"authority.{verb}: there is no such command")
        if APPROVERS in rules[verb]:
            raise PolicyError(f"authority.{verb}: who may approve is set by APPROVERS")
        if not isinstance(who, list) or not who or not all(isinstance(w, str) for w in who):
            raise PolicyError(f'authority.{verb} should be a list like ["commander", "comms"]')
        words = tuple(w.strip().lower() for w in who)
        for word in words:
            if word not in (ANYONE, AUTHOR) and not ROLE_PATTERN.match(word):
                raise PolicyError(f"authority.{verb}: {word!r} is not anyone, author or a role")
        if AUTHOR in words and AUTHOR not in rules[verb]:
            raise PolicyError(f"authority.{verb}: only edit has an author")
        rules[verb] = words
    return rules


def parse_admins(entries: Sequence[ApproverSpec]) -> tuple[ApproverSpec, ...]:
    """ADMINS are people or platform groups; an incident role cannot make an admin."""
    for spec in entries:
        if spec.kind == "role":
            raise PolicyError(f"ADMINS entry {spec} names an incident role; name people or groups")
    return tuple(entries)
