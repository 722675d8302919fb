"""The checklist's phrase table: blame and passwords written out in words.

A team extends it in CANDOR_CONFIG (``bot/policy_file.py``)::

    [checklist]
    blame_phrases = ["dropped the ball"]          # flagged wherever they appear
    blame_targets = ["the night shift", "acme"]   # flagged in "because the night shift…",
                                                  # "caused by acme", "acme's fault", "acme broke"
    password_words = ["door code"]                # "door code 4471", "door code: x" are flagged

Phrases are plain words, matched whole and in any case; a trailing ``*`` matches any
ending (``blame*``: blamed, blaming).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

BLAME_PHRASES = (
    "not our fault",
    "their fault",
    "fault of",
    "to blame",
    "blame*",
    "user error",
    "human error",
    "beyond our control",
    "third party",
    "third-party",
    "our vendor",
    "our provider",
    "our supplier",
    "our partner",
    "our contractor",
    "vendor's",
    "provider's",
    "supplier's",
)
# Someone the team might point at: the statement should own the problem instead.
BLAME_TARGETS = (
    "the intern",
    "an intern",
    "our intern",
    "a junior engineer",
    "a junior developer",
    "a new hire",
    "the new hire",
    "an engineer",
    "one of our engineers",
    "a developer",
    "one of our developers",
    "an employee",
    "a contractor",
    "the contractor",
    "a vendor",
    "the vendor",
    "our vendor",
    "the provider",
    "our provider",
    "our cloud provider",
    "our hosting provider",
    "the supplier",
    "a partner",
    "someone on our team",
    "someone",
)
PASSWORD_WORDS = ("password", "passwd", "pwd", "passcode", "passphrase", "pass code", "pin")

# Words that follow "password is" in ordinary sentences ("your password is safe").
_ORDINARY = frozenset(
    (
        "not",
        "safe",
        "secure",
        "unchanged",
        "still",
        "required",
        "needed",
        "correct",
        "incorrect",
        "wrong",
        "valid",
        "invalid",
        "expired",
        "being",
        "now",
        "reset",
        "changed",
        "encrypted",
        "hashed",
        "stored",
        "protected",
        "never",
        "no",
        "the",
        "your",
        "a",
        "an",
        "only",
        "case-sensitive",
        "compromised",
        "affected",
        "unaffected",
        "fine",
        "ok",
        "exposed",
        "set",
        "and",
        "or",
        "of",
        "for",
        "to",
        "was",
        "is",
        "has",
        "had",
        "will",
        "be",
        "we",
        "you",
        "it",
        "they",
        "i",
        "our",
        "this",
        "that",
        "there",
        "please",
        "if",
        "when",
        "manager",
        "managers",
        "policy",
        "policies",
    )
)
_MADE_UP = re.compile(r"\d|[^\w\s]|.[A-Z]")  # hunter2, p@ss, xKcd: not a dictionary word


def _pattern(phrase: str) -> str:
    words = phrase.strip().lower().split()
    body = r"\s+".join(re.escape(word.rstrip("*")) for word in words)
    return body + (r"\w*" if phrase.strip().endswith("*") else r"\b")


def _alternatives(phrases: Iterable[str]) -> str:
    unique = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(_pattern(p) for p in unique) or r"(?!)"


@dataclass(frozen=True)
class ChecklistPhrases:
    blame_phrases: tuple[str, ...] = BLAME_PHRASES
    blame_targets: tuple[str, ...] = BLAME_TARGETS
    password_words: tuple[str, ...] = PASSWORD_WORDS

    def extended(
        self,
        blame_phrases: Iterable[str] = (),
        blame_targets: Iterable[str] = (),
        password_words: Iterable[str] = (),
    ) -> ChecklistPhrases:
        """The defaults plus a team's own rows (CANDOR_CONFIG ``[checklist]``)."""
        return ChecklistPhrases(
            (*self.blame_phrases, *blame_phrases),
            (*self.blame_targets, *blame_targets),
            (*self.password_words, *password_words),
        )

    @cached_property
    def _blame(self) -> re.Pattern[str]:
        target = f"(?:{_alternatives(self.blame_targets)})"
        return re.compile(
            rf"\b(?:{_alternatives(self.blame_phrases)}"
            rf"|(?:because(?:\s+of)?|caused\s+by|due\s+to|thanks\s+to)\s+{target}"
            rf"|{target}(?:'s|’s)?\s+(?:fault|mistake|error|broke|messed\s+up|screwed\s+up))",
            re.IGNORECASE,
        )

    @cached_property
    def _password(self) -> re.Pattern[str]:
        return re.compile(
            rf"\b(?:{_alternatives(self.password_words)})s?"
            r"(?P<sep>\s*[:=]\s*|\s+(?:is|was|will\s+be)\s+|\s+)"
            r"(?P<value>[\"'“‘]?[^\s\"'”’]+)",
            re.IGNORECASE,
        )

    def blame(self, body: str) -> str | None:
        """The first blame-shifting phrase in ``body``, as written."""
        match = self._blame.search(body)
        return match.group(0) if match else None

    def password(self, body: str) -> bool:
        """Whether ``body`` writes a password out: "password hunter2", "pwd: x",
        "the passcode is 4471" (never "reset your password now")."""
        for match in self._password.finditer(body):
            value = match.group("value")
            quoted = value[0] in "\"'“‘"
            word = value.strip("\"'“‘.,;!?)").lower()
            if not word or word in _ORDINARY:
                continue
            separator = match.group("sep").strip()
            if quoted or separator in (":", "=") or _MADE_UP.search(value.rstrip(".,;!?)")):
                return True
            if separator and separator.split()[0] in ("is", "was", "will"):
                return True  # "the passcode is swordfish"
        return False
