"""The command grammar (DESIGN §4) as one table: it yields the parser and the help.

Each verb has a usage line, a one-line summary and a parse function that turns
the rest of the line into a typed request or raises ``UsageError`` with the
usage line as the fix.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from commands import requests as rq
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
from commands.secrets import refuse_secrets
from commands.templates import TEMPLATE_NAMES
from commands.timeparse import DURATION_HELP, TIME_HELP, parse_duration, parse_when

# A user id is stored in 64 characters at most (storage.models).
_MENTION = re.compile(r"^<@!?([A-Za-z0-9_.-]{1,64})(?:\|[^>]*)?>$|^@([\w.-]{1,64})$")
_STATEMENT = re.compile(r"^[sS]?(\d{1,6})$")
_REVISION = re.compile(r"^[sS]?(\d{1,6})(?:[rR](\d{1,4}))?$")
_INCIDENT = re.compile(r"^(?:inc-|#)?(\d{1,7})$", re.IGNORECASE)


@dataclass(frozen=True)
class Verb:
    name: str
    args: str
    summary: str
    parse: Callable[[str], rq.Request]

    @property
    def usage(self) -> str:
        return f"/incident {self.name} {self.args}".rstrip()


def _fail(verb: str, problem: str) -> UsageError:
    return UsageError(problem, f"Usage: {VERBS[verb].usage}")


def parse_user(token: str) -> str | None:
    match = _MENTION.match(token)
    if not match:
        return None
    return match.group(1) or match.group(2)


def _split(rest: str, count: int) -> list[str]:
    return rest.split(None, count) if rest else []


def _open(rest: str) -> rq.Request:
    words = rest.split()
    severity = _DEFAULT_SEVERITY
    if words and words[-1].lower() in SEVERITIES:
        severity = words.pop().lower()
    return open_request(" ".join(words), severity)


def open_request(
    title: str, severity: str, description: str = "", commander_id: str | None = None
) -> rq.OpenIncident:
    """An open request from parts (the slash command, or a modal's fields), validated."""
    title = clean_line(title)
    if not title:
        raise _fail(
            "open", "Give the incident a title, e.g. `/incident open Payments failing sev1`."
        )
    if len(title) > TITLE_MAX:
        raise _fail("open", f"The title is {len(title)} characters; keep it to {TITLE_MAX}.")
    if severity not in SEVERITIES:
        raise _fail("open", f"Severity is one of {', '.join(SEVERITIES)}.")
    description = clean_body(description)
    if len(description) > 3000:
        raise _fail("open", "Keep the description to 3000 characters.")
    refuse_secrets("The title", title)  # public once a statement carries it
    refuse_secrets("The description", description)
    return rq.OpenIncident(title, severity, description, commander_id)


def _no_args(verb: str, request: rq.Request) -> Callable[[str], rq.Request]:
    def parse(rest: str) -> rq.Request:
        if rest:
            raise _fail(verb, f"`{verb}` takes no arguments.")
        return request

    return parse


def _help(rest: str) -> rq.Request:
    topic = rest.strip().lower() or None
    if topic is not None and topic not in VERBS:
        raise UsageError(f"There is no command `{topic}`.", _suggest(topic))
    return rq.ShowHelp(topic)


def _assign(rest: str) -> rq.Request:
    words = _split(rest, 2)
    if len(words) != 2:
        raise _fail("assign", "Name a role and a person, e.g. `/incident assign comms @dana`.")
    role, user = normalise_role(words[0]), parse_user(words[1])
    if not ROLE_PATTERN.match(role):
        raise _fail("assign", f"`{words[0][:40]}` is not a role name: use one word like `comms`.")
    if user is None:
        raise _fail("assign", f"`{words[1][:40]}` is not a person: mention them like @dana.")
    return rq.AssignRole(role=role, user_id=user)


def _unassign(rest: str) -> rq.Request:
    role = normalise_role(rest)
    if not ROLE_PATTERN.match(role):
        raise _fail("unassign", "Name the role to end, e.g. `/incident unassign comms`.")
    return rq.UnassignRole(role)


def _task(rest: str) -> rq.Request:
    words = _split(rest, 2)
    if len(words) < 3:
        raise _fail("task", "Give an owner, a due time and a title.")
    user, due = parse_user(words[0]), parse_when(words[1])
    if user is None:
        raise _fail("task", f"`{words[0][:40]}` is not a person: mention them like @dana.")
    if due is None:
        raise _fail("task", f"`{words[1][:40]}` is not a due time: use {TIME_HELP}.")
    title = clean_line(words[2])
    if not title or len(title) > 300:
        raise _fail("task", "The task title must be 1 to 300 characters.")
    return rq.AddTask(owner_id=user, due=due, title=title)


def _done(rest: str) -> rq.Request:
    match = re.match(r"^#?[tT]?(\d{1,6})$", rest.strip())
    if not match:
        raise _fail("done", "Give the task number from `/incident tasks`, e.g. `/incident done 2`.")
    return rq.CompleteTask(int(match.group(1)))


def _state(rest: str) -> rq.Request:
    state = rest.strip().lower()
    if state == "resolved":
        raise UsageError("Use `/incident resolve [summary]` to resolve the incident.")
    if state not in OPEN_STATES:
        raise _fail("state", f"`{state[:40]}` is not a state: use {', '.join(OPEN_STATES)}.")
    return rq.SetState(state)


def _cadence(rest: str) -> rq.Request:
    every = parse_duration(rest)
    if every is None:
        raise _fail("cadence", f"`{rest[:40]}` is not {DURATION_HELP}.")
    if not 5 <= every.total_seconds() / 60 <= 24 * 60:
        raise _fail("cadence", "Public updates should come every 5 minutes to 24 hours.")
    return rq.SetCadence(every)


def _eta(rest: str) -> rq.Request:
    if rest.strip().lower() in ("clear", "none", "off"):
        return rq.SetEta(None)
    when = parse_when(rest)
    if when is None:
        raise _fail("eta", f"`{rest[:40]}` is not a time: use {TIME_HELP}, or `clear`.")
    return rq.SetEta(when)


def _snooze(rest: str) -> rq.Request:
    duration = parse_duration(rest)
    if duration is None:
        raise _fail("snooze", f"`{rest[:40]}` is not {DURATION_HELP}.")
    if not 1 <= duration.total_seconds() / 60 <= 24 * 60:
        raise _fail("snooze", "Snooze reminders for 1 minute to 24 hours.")
    return rq.Snooze(duration)


def _statement_text(verb: str, value: str) -> str:
    body = clean_body(value)
    if not body:
        raise _fail(verb, f"Write the statement, or use a template: {', '.join(TEMPLATE_NAMES)}.")
    if len(body) > STATEMENT_MAX:
        raise _fail(verb, f"The statement is {len(body)} characters; keep it to {STATEMENT_MAX}.")
    return body


def _draft(rest: str) -> rq.Request:
    name = rest.strip().lower()
    if name in TEMPLATE_NAMES:
        return rq.DraftStatement(template=name)
    return rq.DraftStatement(text=_statement_text("draft", rest))


def _statement_number(verb: str, token: str) -> int:
    match = _STATEMENT.match(token.strip())
    if not match:
        raise _fail(verb, f"`{token[:40]}` is not a statement number like S2.")
    return int(match.group(1))


def _edit(rest: str) -> rq.Request:
    words = _split(rest, 1)
    if len(words) != 2:
        raise _fail("edit", "Name the statement and give its new text.")
    return rq.EditStatement(_statement_number("edit", words[0]), _statement_text("edit", words[1]))


def _correct(rest: str) -> rq.Request:
    words = _split(rest, 1)
    if len(words) != 2:
        raise _fail(
            "correct",
            "Name the published statement and give the corrected text, "
            "e.g. `/incident correct S2 Only card payments were affected.`",
        )
    number = _statement_number("correct", words[0])
    return rq.CorrectStatement(number, _statement_text("correct", words[1]))


def _vote(decision: str) -> Callable[[str], rq.Request]:
    def parse(rest: str) -> rq.Request:
        if not rest.strip():
            raise _fail(decision, "Name the statement, e.g. S2, or one revision of it, e.g. S2r3.")
        match = _REVISION.match(rest.strip())
        if not match:
            raise _fail(
                decision,
                f"`{rest[:40]}` is not a statement number like S2 (or S2r3: revision 3 of it).",
            )
        revision = int(match.group(2)) if match.group(2) else None
        return rq.Vote(int(match.group(1)), decision, revision)

    return parse


def _rename(rest: str) -> rq.Request:
    title = clean_line(rest)
    if not title:
        raise _fail("rename", "Give the new title, e.g. `/incident rename Card payments failing`.")
    if len(title) > TITLE_MAX:
        raise _fail("rename", f"The title is {len(title)} characters; keep it to {TITLE_MAX}.")
    refuse_secrets("The title", title, nothing="nothing was renamed")
    return rq.Rename(title)


def _reopen(rest: str) -> rq.Request:
    reason = clean_line(rest)
    if len(reason) > 300:
        raise _fail("reopen", "Keep the reason to 300 characters.")
    return rq.Reopen(reason or None)


def _resolve(rest: str) -> rq.Request:
    summary = clean_body(rest)
    if len(summary) > STATEMENT_MAX:
        raise _fail("resolve", f"Keep the summary to {STATEMENT_MAX} characters.")
    return rq.Resolve(summary or None)


_TABLE = (
    Verb("open", "<title> [sev1|sev2|sev3|sev4]", "open an incident with its own channel", _open),
    Verb(
        "status",
        "",
        "where the incident stands: owners, clock, drafts",
        _no_args("status", rq.ShowStatus()),
    ),
    Verb("list", "", "open incidents in this workspace", _no_args("list", rq.ListIncidents())),
    Verb("help", "[command]", "this help, or one command's usage", _help),
    Verb("assign", "<role> <@user>", "give a role: commander, comms, or any word", _assign),
    Verb(
        "unassign", "<role>", "end a role (the commander's is handed over with assign)", _unassign
    ),
    Verb("task", "<@user> <due> <title>", "a task with an owner and a deadline", _task),
    Verb("tasks", "", "the incident's tasks, late ones first", _no_args("tasks", rq.ListTasks())),
    Verb("done", "<task-number>", "mark a task done", _done),
    Verb("state", "<investigating|identified|monitoring>", "move the incident on", _state),
    Verb("cadence", "<duration>", "how often the public hears from us", _cadence),
    Verb("eta", "<time|clear>", "the fix time we promised (warns before it passes)", _eta),
    Verb("snooze", "<duration>", "pause update reminders", _snooze),
    Verb("draft", f"<{'|'.join(TEMPLATE_NAMES)}|free text>", "draft a public statement", _draft),
    Verb("edit", "<S-number> <text>", "reword a draft (earlier approvals no longer count)", _edit),
    Verb(
        "approve",
        "<S-number>[r<revision>]",
        "approve a draft, e.g. S5r3 for exactly revision 3 (same as reacting ✅)",
        _vote("approve"),
    ),
    Verb("reject", "<S-number>", "reject a draft (same as reacting ❌)", _vote("reject")),
    Verb(
        "correct",
        "<S-number> <text>",
        "correct a published statement (marks it corrected where it went)",
        _correct,
    ),
    Verb(
        "resolve", "[summary]", "resolve and draft the resolution (public once approved)", _resolve
    ),
    Verb("reopen", "[reason]", "a resolved incident is back: the clock starts again", _reopen),
    Verb("rename", "<title>", "change the title (public once a statement carries it)", _rename),
    Verb(
        "timeline",
        "",
        "everything that happened, in order",
        _no_args("timeline", rq.ShowTimeline()),
    ),
    Verb(
        "postmortem",
        "",
        "draft the post-incident summary from the record (after resolve)",
        _no_args("postmortem", rq.DraftPostmortem()),
    ),
)
VERBS: dict[str, Verb] = {verb.name: verb for verb in _TABLE}


def _suggest(word: str) -> str:
    close = difflib.get_close_matches(word, VERBS, n=1)
    hint = f"Did you mean `{close[0]}`? " if close else ""
    return f"{hint}Commands: {', '.join(VERBS)}. Try `/incident help`."


def _first_word(text: str) -> tuple[str, str]:
    """The first word and the rest, split at any whitespace (a newline, a full-width space)."""
    words = text.split(None, 1)
    return (words[0], words[1]) if len(words) == 2 else (text.strip(), "")


def parse(text: str) -> rq.Command:
    """Parse the text after ``/incident``; raises ``UsageError`` with the fix."""
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
            raise UsageError("Tell me what to do.", _suggest(""))
        raise UsageError(f"There is no command `{head[:40]}`.", _suggest(head.lower()))
    return rq.Command(verb.parse(rest.strip()), incident_number)


def help_text(topic: str | None = None, who: Callable[[str], str] | None = None) -> str:
    """The grammar's help; given ``who`` (verb → who may run it), each line says so."""

    def may(name: str) -> str:
        return f" [{who(name)}]" if who is not None else ""

    if topic is not None:
        verb = VERBS[topic]
        allowed = f"\nWho may: {who(topic)}." if who is not None else ""
        return f"{verb.usage}\n{verb.summary}{allowed}"
    width = max(len(verb.usage) for verb in _TABLE)
    lines = [f"{verb.usage.ljust(width)}  {verb.summary}{may(verb.name)}" for verb in _TABLE]
    lines.append("")
    lines.append(
        "Inside an incident channel the incident is implied; elsewhere start with INC-<n>,"
    )
    lines.append("e.g. `/incident INC-4 status`. Approve a draft by reacting ✅, reject with ❌.")
    return "\n".join(lines)


def needs_incident(request: rq.Request) -> bool:
    return not isinstance(request, rq.OpenIncident | rq.ListIncidents | rq.ShowHelp)
