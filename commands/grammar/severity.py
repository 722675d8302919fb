"""The severity at the end of ``/incident open <title> [severity]``, in the forms people type.

The rule: only the **last word** of the line (or the last two, ``sev 1``) is read as a
severity, so a title that merely contains one (``Login broken for p1 customers``) keeps
it. The last word counts when it is ``sev1``, ``SEV-1``, ``sev_1``, ``severity1``,
``p1`` or ``s1`` (any width: ``ＳＥＶ１`` too), ``sev 1`` as two words, or a word the team
names in CANDOR_CONFIG ``[severities]`` (by default ``critical``, ``major``, ``minor``).
A last word that looks like a severity but names none (``sev9``, ``p7``, ``sev``) is
refused with the list: a typo must never become part of the title and channel name.

``s1`` is read in lower case only: ``S3`` is Amazon's storage and ``S1`` a statement.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from commands.domain import SEVERITIES

DEFAULT_SEVERITY_WORDS: Mapping[str, str] = {
    "critical": "sev1",
    "major": "sev2",
    "minor": "sev3",
}

_NUMBERED = re.compile(r"^(?:sev(?:erity)?|p)[-_]?(\d{1,3})$", re.IGNORECASE)
_SHORT = re.compile(r"^s(\d{1,3})$")  # lower case only, see above
_PREFIX = re.compile(r"^sev(?:erity)?$", re.IGNORECASE)  # `sev 1`: the number follows
_NUMBER = re.compile(r"^\d{1,3}$")


def severity_forms(words: Mapping[str, str]) -> str:
    """How severities may be written, for help and refusals."""
    named = ", ".join(sorted(words))
    return f"{', '.join(SEVERITIES)} (also SEV-1, sev 1, s1, p1{', ' + named if named else ''})"


def _severity_of(number: str) -> str | None:
    name = f"sev{int(number)}"
    return name if name in SEVERITIES else None


class UnknownSeverity(ValueError):
    """The line ends in something shaped like a severity that names none."""

    def __init__(self, typed: str, named: Mapping[str, str]) -> None:
        super().__init__(
            f"`{typed[:20]}` is not a severity: use {severity_forms(named)}. Nothing was opened."
        )


def split_severity(
    words: list[str], named: Mapping[str, str] = DEFAULT_SEVERITY_WORDS
) -> tuple[list[str], str | None]:
    """The title's words and the severity the line ends with (None: it names none).

    Raises ``UnknownSeverity`` when the end looks like a severity that does not exist."""
    if not words:
        return words, None
    last = unicodedata.normalize("NFKC", words[-1])
    if last.lower() in named:
        return words[:-1], named[last.lower()]
    if len(words) >= 2 and _NUMBER.match(last):
        before = unicodedata.normalize("NFKC", words[-2])
        if _PREFIX.match(before):
            severity = _severity_of(last)
            if severity is None:
                raise UnknownSeverity(f"{words[-2]} {words[-1]}", named)
            return words[:-2], severity
    match = _NUMBERED.match(last) or _SHORT.match(last)
    if match:
        severity = _severity_of(match.group(1))
        if severity is None:
            raise UnknownSeverity(words[-1], named)
        return words[:-1], severity
    if _PREFIX.match(last):
        raise UnknownSeverity(words[-1], named)
    return words, None
