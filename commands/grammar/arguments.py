"""The command grammar (DESIGN §4): one parse function per verb's arguments.

Each turns the rest of the line (after the verb) into a typed request, or raises
``ArgumentError`` saying what is wrong; the verb table (``commands.grammar.verbs``) holds
each verb's usage line and adds it as the fix, and dispatches a whole line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from commands.domain import DEFAULT_SEVERITY as _DEFAULT_SEVERITY
from commands.domain import (
    OPEN_STATES,
    ROLE_PATTERN,
    SEVERITIES,
    STATEMENT_MAX,
    TITLE_MAX,
    clean_body,
    clean_line,
    normalise_role,
)
from commands.errors import UsageError
from commands.grammar import requests as rq
from commands.grammar.severity import DEFAULT_SEVERITY_WORDS, UnknownSeverity, split_severity
from commands.grammar.templates import TEMPLATE_NAMES
from commands.grammar.times import DURATION_HELP, TIME_HELP, parse_duration, parse_when
from commands.secrets import refuse_secrets

# A user id is stored in 64 characters at most (storage.models).
_MENTION = re.compile(r"^<@!?([A-Za-z0-9_.-]{1,64})(?:\|[^>]*)?>$|^@([\w.-]{1,64})$")
_STATEMENT = re.compile(r"^[sS]?(\d{1,6})$")
_REVISION = re.compile(r"^[sS]?(\d{1,6})(?:[rR](\d{1,4}))?$")


class ArgumentError(UsageError):
    """The arguments do not fit the verb; the verb table adds its usage line as the fix."""


def parse_user(token: str) -> str | None:
    match = _MENTION.match(token)
    if not match:
        return None
    return match.group(1) or match.group(2)


def _split(rest: str, count: int) -> list[str]:
    return rest.split(None, count) if rest else []


def parse_open(rest: str, named: Mapping[str, str] = DEFAULT_SEVERITY_WORDS) -> rq.Request:
    """``named``: the team's severity words (CANDOR_CONFIG ``[severities]``)."""
    try:
        words, severity = split_severity(rest.split(), named)
    except UnknownSeverity as error:
        raise ArgumentError(str(error)) from None
    return check_open(" ".join(words), severity or _DEFAULT_SEVERITY)


def check_open(
    title: str, severity: str, description: str = "", commander_id: str | None = None
) -> rq.OpenIncident:
    """An open request from parts (the slash command, or a modal's fields), validated;
    ``commands.grammar.verbs.open_request`` adds the usage line to a refusal."""
    title = clean_line(title)
    if not title:
        raise ArgumentError(
            "Give the incident a title, e.g. `/incident open Payments failing sev1`."
        )
    if len(title) > TITLE_MAX:
        raise ArgumentError(f"The title is {len(title)} characters; keep it to {TITLE_MAX}.")
    if severity not in SEVERITIES:
        raise ArgumentError(f"Severity is one of {', '.join(SEVERITIES)}.")
    description = clean_body(description)
    if len(description) > 3000:
        raise ArgumentError("Keep the description to 3000 characters.")
    refuse_secrets("The title", title)  # public once a statement carries it
    refuse_secrets("The description", description)
    return rq.OpenIncident(title, severity, description, commander_id)


def no_args(verb: str, request: rq.Request) -> Callable[[str], rq.Request]:
    def parse(rest: str) -> rq.Request:
        if rest:
            raise ArgumentError(f"`{verb}` takes no arguments.")
        return request

    return parse


def parse_assign(rest: str) -> rq.Request:
    words = _split(rest, 2)
    if len(words) != 2:
        raise ArgumentError("Name a role and a person, e.g. `/incident assign comms @dana`.")
    role, user = normalise_role(words[0]), parse_user(words[1])
    if not ROLE_PATTERN.match(role):
        raise ArgumentError(f"`{words[0][:40]}` is not a role name: use one word like `comms`.")
    if user is None:
        raise ArgumentError(f"`{words[1][:40]}` is not a person: mention them like @dana.")
    return rq.AssignRole(role=role, user_id=user)


def parse_unassign(rest: str) -> rq.Request:
    role = normalise_role(rest)
    if not ROLE_PATTERN.match(role):
        raise ArgumentError("Name the role to end, e.g. `/incident unassign comms`.")
    return rq.UnassignRole(role)


def parse_task(rest: str) -> rq.Request:
    words = _split(rest, 2)
    if len(words) < 3:
        raise ArgumentError("Give an owner, a due time and a title.")
    user, due = parse_user(words[0]), parse_when(words[1])
    if user is None:
        raise ArgumentError(f"`{words[0][:40]}` is not a person: mention them like @dana.")
    if due is None:
        raise ArgumentError(f"`{words[1][:40]}` is not a due time: use {TIME_HELP}.")
    title = clean_line(words[2])
    if not title or len(title) > 300:
        raise ArgumentError("The task title must be 1 to 300 characters.")
    return rq.AddTask(owner_id=user, due=due, title=title)


def parse_done(rest: str) -> rq.Request:
    match = re.match(r"^#?[tT]?(\d{1,6})$", rest.strip())
    if not match:
        raise ArgumentError("Give the task number from `/incident tasks`, e.g. `/incident done 2`.")
    return rq.CompleteTask(int(match.group(1)))


def parse_state(rest: str) -> rq.Request:
    state = rest.strip().lower()
    if state == "resolved":
        raise UsageError("Use `/incident resolve [summary]` to resolve the incident.")
    if state not in OPEN_STATES:
        raise ArgumentError(f"`{state[:40]}` is not a state: use {', '.join(OPEN_STATES)}.")
    return rq.SetState(state)


def parse_cadence(rest: str) -> rq.Request:
    every = parse_duration(rest)
    if every is None:
        raise ArgumentError(f"`{rest[:40]}` is not {DURATION_HELP}.")
    if not 5 <= every.total_seconds() / 60 <= 24 * 60:
        raise ArgumentError("Public updates should come every 5 minutes to 24 hours.")
    return rq.SetCadence(every)


def parse_eta(rest: str) -> rq.Request:
    if rest.strip().lower() in ("clear", "none", "off"):
        return rq.SetEta(None)
    when = parse_when(rest)
    if when is None:
        raise ArgumentError(f"`{rest[:40]}` is not a time: use {TIME_HELP}, or `clear`.")
    return rq.SetEta(when)


def parse_snooze(rest: str) -> rq.Request:
    duration = parse_duration(rest)
    if duration is None:
        raise ArgumentError(f"`{rest[:40]}` is not {DURATION_HELP}.")
    if not 1 <= duration.total_seconds() / 60 <= 24 * 60:
        raise ArgumentError("Snooze reminders for 1 minute to 24 hours.")
    return rq.Snooze(duration)


def _statement_text(value: str) -> str:
    body = clean_body(value)
    if not body:
        raise ArgumentError(f"Write the statement, or use a template: {', '.join(TEMPLATE_NAMES)}.")
    if len(body) > STATEMENT_MAX:
        raise ArgumentError(f"The statement is {len(body)} characters; keep it to {STATEMENT_MAX}.")
    return body


def parse_draft(rest: str) -> rq.Request:
    name = rest.strip().lower()
    if name in TEMPLATE_NAMES:
        return rq.DraftStatement(template=name)
    return rq.DraftStatement(text=_statement_text(rest))


def _statement_number(token: str) -> int:
    match = _STATEMENT.match(token.strip())
    if not match:
        raise ArgumentError(f"`{token[:40]}` is not a statement number like S2.")
    return int(match.group(1))


def parse_edit(rest: str) -> rq.Request:
    words = _split(rest, 1)
    if len(words) != 2:
        raise ArgumentError("Name the statement and give its new text.")
    return rq.EditStatement(_statement_number(words[0]), _statement_text(words[1]))


def parse_correct(rest: str) -> rq.Request:
    words = _split(rest, 1)
    if len(words) != 2:
        raise ArgumentError(
            "Name the published statement and give the corrected text, "
            "e.g. `/incident correct S2 Only card payments were affected.`",
        )
    number = _statement_number(words[0])
    return rq.CorrectStatement(number, _statement_text(words[1]))


def vote(decision: str) -> Callable[[str], rq.Request]:
    def parse(rest: str) -> rq.Request:
        if not rest.strip():
            raise ArgumentError("Name the statement, e.g. S2, or one revision of it, e.g. S2r3.")
        match = _REVISION.match(rest.strip())
        if not match:
            raise ArgumentError(
                f"`{rest[:40]}` is not a statement number like S2 (or S2r3: revision 3 of it).",
            )
        revision = int(match.group(2)) if match.group(2) else None
        return rq.Vote(int(match.group(1)), decision, revision)

    return parse


def parse_rename(rest: str) -> rq.Request:
    title = clean_line(rest)
    if not title:
        raise ArgumentError("Give the new title, e.g. `/incident rename Card payments failing`.")
    if len(title) > TITLE_MAX:
        raise ArgumentError(f"The title is {len(title)} characters; keep it to {TITLE_MAX}.")
    refuse_secrets("The title", title, nothing="nothing was renamed")
    return rq.Rename(title)


def parse_reopen(rest: str) -> rq.Request:
    reason = clean_line(rest)
    if len(reason) > 300:
        raise ArgumentError("Keep the reason to 300 characters.")
    return rq.Reopen(reason or None)


def parse_resolve(rest: str) -> rq.Request:
    summary = clean_body(rest)
    if len(summary) > STATEMENT_MAX:
        raise ArgumentError(f"Keep the summary to {STATEMENT_MAX} characters.")
    return rq.Resolve(summary or None)
