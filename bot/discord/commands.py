"""The ``/incident`` application command group: one subcommand per verb of the grammar.

Options are typed where Discord can help (severity, state and template as choices,
people as members, statements, tasks and incidents autocompleted); each subcommand
turns its options back into the grammar's text, so the core's parser checks them
and its usage messages read the same on Discord, Slack and the console. ``open``
is the exception: its description and commander do not fit one line of text.
Each subcommand is a method of ``IncidentGroup`` (discord.py's way), and so are the
autocompletes, which ask the Desk.
"""

from __future__ import annotations

from collections.abc import Iterable

import discord
from discord import app_commands

from bot.discord.forms import DraftForm, EditForm, OpenForm
from bot.discord.interactions import Responder, actor_of, answer_now, channel_of
from bot.priority import TeamFirst
from commands import (
    DEFAULT_SEVERITY,
    OPEN_STATES,
    SEVERITIES,
    TEMPLATE_NAMES,
    VERBS,
    Command,
    Desk,
    Reply,
    Topic,
    form_for,
    open_request,
)


def _options(values: Iterable[str]) -> list[app_commands.Choice[str]]:
    """Fixed choices straight from the core's tables, so Discord offers what the core takes."""
    return [app_commands.Choice(name=value, value=value) for value in values]


INCIDENT_HELP = "INC-n; needed outside the incident's channel"
VOTE_HELP = "the draft, e.g. S5r3 for revision 3"
CAN_OPEN = discord.Permissions(manage_channels=True, send_messages=True, embed_links=True)


def _target(incident: str | None) -> str:
    """The optional leading ``INC-n`` of the grammar."""
    if not incident:
        return ""
    number = incident.strip().upper().removeprefix("INC-").removeprefix("#")
    return f"INC-{number} "


def _number(incident: str | None) -> int | None:
    digits = (incident or "").upper().removeprefix("INC-").strip()
    return int(digits) if digits.isdigit() else None


Choices = list[app_commands.Choice[str]]


def _about(verb: str) -> str:
    return VERBS[verb].summary


class IncidentGroup(app_commands.Group):
    """``/incident``: one method per subcommand, each run on the Desk by the Responder."""

    def __init__(self, desk: Desk, team_first: TeamFirst | None = None) -> None:
        super().__init__(
            name="incident",
            description="Coordinate an incident and its public updates",
            guild_only=True,
        )
        self.desk = desk
        self.responder = Responder(desk, team_first)

    async def _say(
        self, ix: discord.Interaction, verb: str, incident: str | None, rest: str = ""
    ) -> None:
        await self.responder.run(ix, verb, f"{_target(incident)}{verb} {rest}".strip())

    async def _choices(self, ix: discord.Interaction, topic: Topic, typed: str) -> Choices:
        incident = getattr(ix.namespace, "incident", None)
        found = await self.desk.suggest(channel_of(ix), topic, typed, _number(incident))
        return [app_commands.Choice(name=c.label, value=c.value) for c in found]

    async def incidents(self, ix: discord.Interaction, typed: str) -> Choices:
        return await self._choices(ix, Topic.INCIDENT, typed)

    async def drafts(self, ix: discord.Interaction, typed: str) -> Choices:
        return await self._choices(ix, Topic.DRAFT, typed)

    async def revisions(self, ix: discord.Interaction, typed: str) -> Choices:
        """A vote names the wording its voter was shown."""
        return await self._choices(ix, Topic.REVISION, typed)

    async def tasks_(self, ix: discord.Interaction, typed: str) -> Choices:
        return await self._choices(ix, Topic.TASK, typed)

    async def published(self, ix: discord.Interaction, typed: str) -> Choices:
        return await self._choices(ix, Topic.PUBLISHED, typed)

    @app_commands.command(name="open", description=_about("open"))
    @app_commands.describe(
        title="what is wrong (leave it out for a form)",
        commander="who leads the response (default: you)",
    )
    @app_commands.choices(severity=_options(SEVERITIES))
    async def open_(
        self,
        ix: discord.Interaction,
        title: app_commands.Range[str, 1, 200] | None = None,
        severity: str = DEFAULT_SEVERITY,
        description: app_commands.Range[str, 0, 3000] = "",
        commander: discord.Member | None = None,
    ) -> None:
        if title is None:  # the form: room for a long description
            await ix.response.send_modal(OpenForm(self.responder, CAN_OPEN))
            return

        def build() -> Command:
            lead = str(commander.id) if commander else None
            return Command(open_request(title, severity, description, lead))

        await self.responder.run(ix, "open", build, needs=CAN_OPEN)

    @app_commands.command(name="list", description=_about("list"))
    async def list_(self, ix: discord.Interaction) -> None:
        await self._say(ix, "list", None)

    @app_commands.command(name="help", description=_about("help"))
    @app_commands.choices(command=_options(VERBS))
    async def help_(self, ix: discord.Interaction, command: str | None = None) -> None:
        await self._say(ix, "help", None, command or "")

    @app_commands.command(name="assign", description=_about("assign"))
    @app_commands.describe(role="commander, comms, or any one word", incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def assign(
        self,
        ix: discord.Interaction,
        role: str,
        person: discord.Member,
        incident: str | None = None,
    ) -> None:
        await self._say(ix, "assign", incident, f"{role} <@{person.id}>")

    @app_commands.command(name="unassign", description=_about("unassign"))
    @app_commands.describe(role="the role to end, e.g. comms", incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def unassign(
        self, ix: discord.Interaction, role: str, incident: str | None = None
    ) -> None:
        await self._say(ix, "unassign", incident, role)

    @app_commands.command(name="rename", description=_about("rename"))
    @app_commands.autocomplete(incident=incidents)
    async def rename(
        self,
        ix: discord.Interaction,
        title: app_commands.Range[str, 1, 200],
        incident: str | None = None,
    ) -> None:
        await self._say(ix, "rename", incident, title)

    @app_commands.command(name="reopen", description=_about("reopen"))
    @app_commands.describe(reason="what is happening again (optional)")
    @app_commands.autocomplete(incident=incidents)
    async def reopen(
        self,
        ix: discord.Interaction,
        reason: app_commands.Range[str, 0, 300] = "",
        incident: str | None = None,
    ) -> None:
        await self._say(ix, "reopen", incident, reason)

    @assign.autocomplete("role")
    async def roles(self, ix: discord.Interaction, typed: str) -> Choices:
        known = [r for r in ("commander", "comms", "scribe", "liaison") if typed.lower() in r]
        return [app_commands.Choice(name=r, value=r) for r in known]

    @app_commands.command(name="task", description=_about("task"))
    @app_commands.describe(due="30m, 2h, 1d, 14:00 or ISO 8601", incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def task(
        self,
        ix: discord.Interaction,
        owner: discord.Member,
        due: str,
        title: app_commands.Range[str, 1, 300],
        incident: str | None = None,
    ) -> None:
        await self._say(ix, "task", incident, f"<@{owner.id}> {due} {title}")

    @app_commands.command(name="done", description=_about("done"))
    @app_commands.autocomplete(task=tasks_, incident=incidents)
    async def done(self, ix: discord.Interaction, task: str, incident: str | None = None) -> None:
        await self._say(ix, "done", incident, task)

    @app_commands.command(name="state", description=_about("state"))
    @app_commands.choices(state=_options(OPEN_STATES))
    @app_commands.autocomplete(incident=incidents)
    async def state(self, ix: discord.Interaction, state: str, incident: str | None = None) -> None:
        await self._say(ix, "state", incident, state)

    @app_commands.command(name="cadence", description=_about("cadence"))
    @app_commands.describe(every="e.g. 30m or 1h")
    @app_commands.autocomplete(incident=incidents)
    async def cadence(
        self, ix: discord.Interaction, every: str, incident: str | None = None
    ) -> None:
        await self._say(ix, "cadence", incident, every)

    @app_commands.command(name="eta", description=_about("eta"))
    @app_commands.describe(time="30m, 14:00, ISO 8601, or clear")
    @app_commands.autocomplete(incident=incidents)
    async def eta(self, ix: discord.Interaction, time: str, incident: str | None = None) -> None:
        await self._say(ix, "eta", incident, time)

    @app_commands.command(name="snooze", description=_about("snooze"))
    @app_commands.describe(duration="e.g. 30m")
    @app_commands.autocomplete(incident=incidents)
    async def snooze(
        self, ix: discord.Interaction, duration: str, incident: str | None = None
    ) -> None:
        await self._say(ix, "snooze", incident, duration)

    @app_commands.command(name="draft", description=_about("draft"))
    @app_commands.describe(
        template="start from a template",
        text="or write the statement (leave both out for a form)",
    )
    @app_commands.choices(template=_options(TEMPLATE_NAMES))
    @app_commands.autocomplete(incident=incidents)
    async def draft(
        self,
        ix: discord.Interaction,
        template: str | None = None,
        text: app_commands.Range[str, 1, 4000] | None = None,
        incident: str | None = None,
    ) -> None:
        if template is None and text is None:
            await ix.response.send_modal(DraftForm(self.responder, _target(incident)))
            return
        await self._say(ix, "draft", incident, template or text or "")

    @app_commands.command(name="edit", description=_about("edit"))
    @app_commands.describe(text="the new wording (leave it out to edit the draft in a form)")
    @app_commands.autocomplete(statement=drafts, incident=incidents)
    async def edit(
        self,
        ix: discord.Interaction,
        statement: str,
        text: app_commands.Range[str, 1, 4000] | None = None,
        incident: str | None = None,
    ) -> None:
        ask = form_for(f"{_target(incident)}edit {statement}") if text is None else None
        if ask is None:  # with its text, or a statement that is not S<n>: as typed
            await self._say(ix, "edit", incident, f"{statement} {text or ''}")
            return
        found = await self.desk.prefill(ask, actor_of(ix.user), channel_of(ix))
        if isinstance(found, Reply):  # not theirs to edit, or no such draft
            await answer_now(ix, found)
            return
        await ix.response.send_modal(EditForm(self.responder, found))

    @app_commands.command(name="resolve", description=_about("resolve"))
    @app_commands.autocomplete(incident=incidents)
    async def resolve(
        self,
        ix: discord.Interaction,
        summary: app_commands.Range[str, 0, 4000] = "",
        incident: str | None = None,
    ) -> None:
        await self._say(ix, "resolve", incident, summary)

    @app_commands.command(name="correct", description=_about("correct"))
    @app_commands.describe(statement="the published statement", text="the corrected wording")
    @app_commands.autocomplete(statement=published, incident=incidents)
    async def correct(
        self,
        ix: discord.Interaction,
        statement: str,
        text: app_commands.Range[str, 1, 4000],
        incident: str | None = None,
    ) -> None:
        await self._say(ix, "correct", incident, f"{statement} {text}")

    # Verbs whose only option is which incident.

    @app_commands.command(name="status", description=_about("status"))
    @app_commands.describe(incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def status(self, ix: discord.Interaction, incident: str | None = None) -> None:
        await self._say(ix, "status", incident)

    @app_commands.command(name="tasks", description=_about("tasks"))
    @app_commands.describe(incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def tasks(self, ix: discord.Interaction, incident: str | None = None) -> None:
        await self._say(ix, "tasks", incident)

    @app_commands.command(name="timeline", description=_about("timeline"))
    @app_commands.describe(incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def timeline(self, ix: discord.Interaction, incident: str | None = None) -> None:
        await self._say(ix, "timeline", incident)

    @app_commands.command(name="postmortem", description=_about("postmortem"))
    @app_commands.describe(incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def postmortem(self, ix: discord.Interaction, incident: str | None = None) -> None:
        await self._say(ix, "postmortem", incident)

    # approve / reject: a draft, and which incident.

    @app_commands.command(name="approve", description=_about("approve"))
    @app_commands.describe(statement=VOTE_HELP)
    @app_commands.autocomplete(statement=revisions, incident=incidents)
    async def approve(
        self, ix: discord.Interaction, statement: str, incident: str | None = None
    ) -> None:
        await self._say(ix, "approve", incident, statement)

    @app_commands.command(name="reject", description=_about("reject"))
    @app_commands.describe(statement=VOTE_HELP)
    @app_commands.autocomplete(statement=revisions, incident=incidents)
    async def reject(
        self, ix: discord.Interaction, statement: str, incident: str | None = None
    ) -> None:
        await self._say(ix, "reject", incident, statement)


def build_group(desk: Desk, team_first: TeamFirst | None = None) -> app_commands.Group:
    return IncidentGroup(desk, team_first)
