"""The verbs of ``/incident`` (DESIGN §4): one row per verb, and everything read off it.

A row says how the verb is typed (usage, summary, the grammar's parse function),
which request it makes and which handler runs it, who may run it by default (a
team changes that in CANDOR_CONFIG ``[authority]``), whether its answer is only
for the asker, and whether it needs an incident. The parser, the help, the
handler each request runs, Discord's private answers and the default rules come from here.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from commands.authority.rules import ANYONE, APPROVERS, AUTHOR
from commands.context import Ctx, Preparation
from commands.domain import COMMANDER, COMMS
from commands.errors import UsageError
from commands.grammar import arguments as g
from commands.grammar import requests as rq
from commands.grammar.templates import TEMPLATE_NAMES
from commands.handlers import cadence as clock
from commands.handlers import corrections, incidents, lifecycle, opening, people, postmortem
from commands.handlers import statements as st
from commands.ports import Reply, text

SEVERITY_HELP = (
    "Severity is read from the last word of `open` only (sev1, SEV-1, sev 1, s1, p1, or a "
    "word like critical), so a title may contain p1; a last word like sev9 is refused."
)

Handler = Callable[[Ctx, Any], Awaitable[Reply]]

ALL = (ANYONE,)
LEAD = (COMMANDER,)
TEAM = (COMMANDER, COMMS)


@dataclass(frozen=True)
class Verb:
    syntax: str  # the verb, then its arguments
    summary: str
    request: type  # what its parse function makes (a vote: approve and reject alike)
    parse: Callable[[str], rq.Request]
    handler: Handler
    rule: tuple[str, ...]  # who may, unless the team's [authority] row says otherwise
    private: bool = False  # the answer is for the asker only (Discord defers privately)
    needs_incident: bool = True
    # A platform call to make before the unit of work (open's channel), if any.
    prepare: Preparation | None = None
    # Only reads: answered from a read-only session (no transaction, no wait for
    # SQLite's writer) while anyone may run it; a team's [authority] rule that could
    # refuse it (and note the refusal) makes it a unit of work again.
    reads_only: bool = False

    @property
    def name(self) -> str:
        return self.syntax.split()[0]

    @property
    def usage(self) -> str:
        return f"/incident {self.syntax}"


def _help(rest: str) -> rq.Request:
    topic = rest.strip().lower() or None
    if topic is not None and topic not in VERBS:
        raise UsageError(f"There is no command `{topic}`.", suggest_verb(topic))
    return rq.ShowHelp(topic)


async def show_help(ctx: Ctx, req: rq.ShowHelp) -> Reply:
    return Reply(text(help_text(req.topic, ctx.deps.authority.describe)), ephemeral=True)


_TABLE = (
    Verb(
        "open <title> [sev1|sev2|sev3|sev4]",
        "open an incident with its own channel",
        rq.OpenIncident,
        g.parse_open,
        incidents.open_incident,
        ALL,
        needs_incident=False,
        prepare=opening.CHANNEL_FIRST,
    ),
    Verb(
        "status",
        "where the incident stands: owners, clock, drafts",
        rq.ShowStatus,
        g.no_args("status", rq.ShowStatus()),
        incidents.show_status,
        ALL,
        private=True,
        reads_only=True,
    ),
    Verb(
        "list",
        "open incidents in this workspace",
        rq.ListIncidents,
        g.no_args("list", rq.ListIncidents()),
        incidents.list_incidents,
        ALL,
        private=True,
        reads_only=True,
        needs_incident=False,
    ),
    Verb(
        "help [command]",
        "this help, or one command's usage",
        rq.ShowHelp,
        _help,
        show_help,
        ALL,
        private=True,
        reads_only=True,
        needs_incident=False,
    ),
    Verb(
        "assign <role> <@user>",
        "give a role: commander, comms, or any word",
        rq.AssignRole,
        g.parse_assign,
        people.assign,
        LEAD,
        private=True,
    ),
    Verb(
        "unassign <role>",
        "end a role (the commander's is handed over with assign)",
        rq.UnassignRole,
        g.parse_unassign,
        people.unassign,
        LEAD,
    ),
    Verb(
        "task <@user> <due> <title>",
        "a task with an owner and a deadline",
        rq.AddTask,
        g.parse_task,
        people.add_task,
        ALL,
        private=True,
    ),
    Verb(
        "tasks",
        "the incident's tasks, late ones first",
        rq.ListTasks,
        g.no_args("tasks", rq.ListTasks()),
        people.list_tasks,
        ALL,
        private=True,
        reads_only=True,
    ),
    Verb(
        "done <task-number>",
        "mark a task done",
        rq.CompleteTask,
        g.parse_done,
        people.complete_task,
        ALL,
    ),
    Verb(
        "state <investigating|identified|monitoring>",
        "move the incident on",
        rq.SetState,
        g.parse_state,
        incidents.set_state,
        TEAM,
    ),
    Verb(
        "cadence <duration>",
        "how often the public hears from us",
        rq.SetCadence,
        g.parse_cadence,
        clock.set_cadence,
        TEAM,
    ),
    Verb(
        "eta <time|clear>",
        "the fix time we promised (warns before it passes)",
        rq.SetEta,
        g.parse_eta,
        clock.set_eta,
        TEAM,
    ),
    Verb(
        "snooze <duration>",
        "pause update reminders",
        rq.Snooze,
        g.parse_snooze,
        clock.snooze,
        TEAM,
    ),
    Verb(
        f"draft <{'|'.join(TEMPLATE_NAMES)}|free text>",
        "draft a public statement",
        rq.DraftStatement,
        g.parse_draft,
        st.draft,
        ALL,
    ),
    Verb(
        "edit <S-number> <text>",
        "reword a draft (earlier approvals no longer count)",
        rq.EditStatement,
        g.parse_edit,
        st.edit,
        (AUTHOR, *TEAM),
        private=True,
    ),
    Verb(
        "approve <S-number>[r<revision>]",
        "approve a draft, e.g. S5r3 for exactly revision 3 (same as reacting ✅)",
        rq.Vote,
        g.vote("approve"),
        st.vote,
        (APPROVERS,),
        private=True,
    ),
    Verb(
        "reject <S-number>",
        "reject a draft (same as reacting ❌)",
        rq.Vote,
        g.vote("reject"),
        st.vote,
        (APPROVERS,),
        private=True,
    ),
    Verb(
        "correct <S-number> <text>",
        "correct a published statement (marks it corrected where it went)",
        rq.CorrectStatement,
        g.parse_correct,
        corrections.correct,
        TEAM,
    ),
    Verb(
        "resolve [summary]",
        "resolve and draft the resolution (public once approved)",
        rq.Resolve,
        g.parse_resolve,
        incidents.resolve,
        TEAM,
    ),
    Verb(
        "reopen [reason]",
        "a resolved incident is back: the clock starts again",
        rq.Reopen,
        g.parse_reopen,
        lifecycle.reopen,
        TEAM,
    ),
    Verb(
        "rename <title>",
        "change the title (public once a statement carries it)",
        rq.Rename,
        g.parse_rename,
        lifecycle.rename,
        TEAM,
    ),
    Verb(
        "timeline",
        "everything that happened, in order",
        rq.ShowTimeline,
        g.no_args("timeline", rq.ShowTimeline()),
        incidents.show_timeline,
        ALL,
        private=True,
        reads_only=True,
    ),
    Verb(
        "postmortem",
        "draft the post-incident summary from the record (after resolve)",
        rq.DraftPostmortem,
        g.no_args("postmortem", rq.DraftPostmortem()),
        postmortem.draft_postmortem,
        TEAM,
    ),
)
VERBS: Mapping[str, Verb] = {verb.name: verb for verb in _TABLE}
_BY_REQUEST: Mapping[type, Verb] = {verb.request: verb for verb in _TABLE}  # votes: see verb_of
DEFAULT_RULES: Mapping[str, tuple[str, ...]] = {verb.name: verb.rule for verb in _TABLE}


def verb_of(request: rq.Request) -> Verb:
    """The row a request came from (a vote's decision names its verb)."""
    if isinstance(request, rq.Vote):
        return VERBS[request.decision]
    return _BY_REQUEST[type(request)]


def needs_incident(request: rq.Request) -> bool:
    return verb_of(request).needs_incident


def suggest_verb(word: str) -> str:
    close = difflib.get_close_matches(word, VERBS, n=1)
    hint = f"Did you mean `{close[0]}`? " if close else ""
    return f"{hint}Commands: {', '.join(VERBS)}. Try `/incident help`."


def help_text(topic: str | None = None, who: Callable[[str], str] | None = None) -> str:
    """The table's help; given ``who`` (verb → who may run it), each line says so."""

    def may(name: str) -> str:
        return f" [{who(name)}]" if who is not None else ""

    if topic is not None:
        verb = VERBS[topic]
        allowed = f"\nWho may: {who(topic)}." if who is not None else ""
        extra = f"\n{SEVERITY_HELP}" if topic == "open" else ""
        return f"{verb.usage}\n{verb.summary}{allowed}{extra}"
    width = max(len(verb.usage) for verb in _TABLE)
    lines = [f"{verb.usage.ljust(width)}  {verb.summary}{may(verb.name)}" for verb in _TABLE]
    lines.append("")
    lines.append(
        "Inside an incident channel the incident is implied; elsewhere start with INC-<n>,"
    )
    lines.append("e.g. `/incident INC-4 status`. Approve a draft by reacting ✅, reject with ❌.")
    lines.append(SEVERITY_HELP)
    return "\n".join(lines)
