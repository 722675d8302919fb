"""A command line → a typed request, through the verb table (``commands.grammar.verbs``).

``parse`` finds the verb (and an explicit ``INC-<n>``) and runs the verb's parse
function; when its arguments do not fit, the fix is the verb's usage line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from commands.errors import UsageError
from commands.grammar import arguments as g
from commands.grammar import requests as rq
from commands.grammar.severity import DEFAULT_SEVERITY_WORDS, UnknownSeverity, split_severity
from commands.grammar.verbs import VERBS, Verb, suggest_verb

_INCIDENT = re.compile(r"^(?:inc-|#)?(\d{1,7})$", re.IGNORECASE)


@contextmanager
def _usage(verb: Verb) -> Iterator[None]:
    """Arguments that do not fit the verb: the fix is its usage line."""
    try:
        yield
    except g.ArgumentError as error:
        raise UsageError(error.message, f"Usage: {verb.usage}") from None


def open_request(
    title: str, severity: str, description: str = "", commander_id: str | None = None
) -> rq.OpenIncident:
    """An open request from parts (a Slack modal's fields, Discord's options), validated.
    The severity has a field of its own there, so a title ending in one (`Login broken
    sev 1`, `… sev9`) is a slip: refused, never kept in the title."""
    with _usage(VERBS["open"]):
        words = title.split()
        try:
            rest, named = split_severity(words, {})  # words like "minor" stay ordinary
        except UnknownSeverity as error:
            raise g.ArgumentError(str(error)) from None
        if named is not None:
            ending = " ".join(words[len(rest) :])
            raise g.ArgumentError(
                f"The title ends in `{ending[:20]}`, a severity: choose it in the severity "
                "field and leave it out of the title."
            )
        return g.check_open(title, severity, description, commander_id)


def _first_word(text: str) -> tuple[str, str]:
    """The first word and the rest, split at any whitespace (a newline, a full-width space)."""
    words = text.split(None, 1)
    return (words[0], words[1]) if len(words) == 2 else (text.strip(), "")


def parse(text: str, severity_words: Mapping[str, str] = DEFAULT_SEVERITY_WORDS) -> rq.Command:
    """Parse the text after ``/incident``; raises ``UsageError`` with the fix.

    ``severity_words``: the team's words for severities (CANDOR_CONFIG ``[severities]``),
    the one part of the grammar a team configures."""
    text = text.strip()
    if text.lower().startswith("/incident"):
        text = text[len("/incident") :].strip()
    incident_number = None
    head, rest = _first_word(text)
    target = _INCIDENT.match(head)
    if head.lower().startswith("inc-") and target:
        incident_number = int(target.group(1))
        head, rest = _first_word(rest)
    verb = VERBS.get(head.lower())
    if verb is None:
        if not head:
            raise UsageError("Tell me what to do.", suggest_verb(""))
        raise UsageError(f"There is no command `{head[:40]}`.", suggest_verb(head.lower()))
    with _usage(verb):
        rest = rest.strip()
        if verb.request is rq.OpenIncident:
            return rq.Command(g.parse_open(rest, severity_words), incident_number)
        return rq.Command(verb.parse(rest), incident_number)
