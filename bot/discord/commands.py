"""The ``/incident`` application command group: one subcommand per verb of the grammar.

Options are typed where Discord can help (severity, state and template as choices,
people as members, statements, tasks and incidents autocompleted); each subcommand
turns its options back into the grammar's text, so the core's parser checks them
and its usage messages read the same on Discord, Slack and the console. ``open``
is the exception: its description and commander do not fit one line of text.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import discord
from discord import app_commands

from bot.discord.interactions import Responder, channel_of
from bot.priority import TeamFirst
from commands.desk import Desk
from commands.domain import DEFAULT_SEVERITY, OPEN_STATES, SEVERITIES
from commands.grammar import VERBS, open_request
from commands.requests import Command
from commands.suggest import Topic
from commands.templates import TEMPLATE_NAMES

Suggester = Callable[
    [discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]


def _options(values: Iterable[str]) -> list[app_commands.Choice[str]]:
    """Fixed choices straight from the core's tables, so Discord offers what the core takes."""
    return [app_commands.Choice(name=value, value=value) for value in values]


INCIDENT_HELP = "INC-n; needed outside the incident's channel"
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


def build_group(desk: Desk, team_first: TeamFirst | None = None) -> app_commands.Group:
    responder = Responder(desk, team_first)
    group = app_commands.Group(
        name="incident",
        description="Coordinate an incident and its public updates",
        guild_only=True,
    )

    async def say(ix: discord.Interaction, verb: str, incident: str | None, rest: str = "") -> None:
        await responder.run(ix, verb, f"{_target(incident)}{verb} {rest}".strip())

    def choices(topic: Topic) -> Suggester:
        async def complete(ix: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
            incident = getattr(ix.namespace, "incident", None)
            found = await desk.suggest(channel_of(ix), topic, typed, _number(incident))
            return [app_commands.Choice(name=c.label, value=c.value) for c in found]

        return complete

    incidents = choices(Topic.INCIDENT)
    drafts = choices(Topic.DRAFT)
    revisions = choices(Topic.REVISION)  # a vote names the wording its voter was shown

    def about_incident(verb: str) -> app_commands.Command[Any, Any, None]:
        """A verb whose only option is which incident (status, tasks, timeline...)."""

        async def run(ix: discord.Interaction, incident: str | None = None) -> None:
            await say(ix, verb, incident)

        command: app_commands.Command[Any, Any, None] = app_commands.Command(
            name=verb, description=VERBS[verb].summary, callback=run
        )
        return app_commands.describe(incident=INCIDENT_HELP)(
            app_commands.autocomplete(incident=incidents)(command)
        )

    def vote(verb: str) -> app_commands.Command[Any, Any, None]:
        """approve / reject: a draft, and which incident."""

        async def run(ix: discord.Interaction, statement: str, incident: str | None = None) -> None:
            await say(ix, verb, incident, statement)

        command: app_commands.Command[Any, Any, None] = app_commands.Command(
            name=verb, description=VERBS[verb].summary, callback=run
        )
        return app_commands.describe(statement="the draft, e.g. S5r3 for revision 3")(
            app_commands.autocomplete(statement=revisions, incident=incidents)(command)
        )

    @group.command(name="open", description=VERBS["open"].summary)
    @app_commands.describe(commander="who leads the response (default: you)")
    @app_commands.choices(severity=_options(SEVERITIES))
    async def open_(
        ix: discord.Interaction,
        title: app_commands.Range[str, 1, 200],
        severity: str = DEFAULT_SEVERITY,
        description: app_commands.Range[str, 0, 3000] = "",
        commander: discord.Member | None = None,
    ) -> None:
        def build() -> Command:
            lead = str(commander.id) if commander else None
            return Command(open_request(title, severity, description, lead))

        await responder.run(ix, "open", build, needs=CAN_OPEN)

    @group.command(name="list", description=VERBS["list"].summary)
    async def list_(ix: discord.Interaction) -> None:
        await say(ix, "list", None)

    @group.command(name="help", description=VERBS["help"].summary)
    @app_commands.choices(command=_options(VERBS))
    async def help_(ix: discord.Interaction, command: str | None = None) -> None:
        await say(ix, "help", None, command or "")

    @group.command(name="assign", description=VERBS["assign"].summary)
    @app_commands.describe(role="commander, comms, or any one word", incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def assign(
        ix: discord.Interaction, role: str, person: discord.Member, incident: str | None = None
    ) -> None:
        await say(ix, "assign", incident, f"{role} <@{person.id}>")

    @group.command(name="unassign", description=VERBS["unassign"].summary)
    @app_commands.describe(role="the role to end, e.g. comms", incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def unassign(ix: discord.Interaction, role: str, incident: str | None = None) -> None:
        await say(ix, "unassign", incident, role)

    @group.command(name="rename", description=VERBS["rename"].summary)
    @app_commands.autocomplete(incident=incidents)
    async def rename(
        ix: discord.Interaction,
        title: app_commands.Range[str, 1, 200],
        incident: str | None = None,
    ) -> None:
        await say(ix, "rename", incident, title)

    @group.command(name="reopen", description=VERBS["reopen"].summary)
    @app_commands.describe(reason="what is happening again (optional)")
    @app_commands.autocomplete(incident=incidents)
    async def reopen(
        ix: discord.Interaction,
        reason: app_commands.Range[str, 0, 300] = "",
        incident: str | None = None,
    ) -> None:
        await say(ix, "reopen", incident, reason)

    @assign.autocomplete("role")
    async def roles(ix: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        known = [r for r in ("commander", "comms", "scribe", "liaison") if typed.lower() in r]
        return [app_commands.Choice(name=r, value=r) for r in known]

    @group.command(name="task", description=VERBS["task"].summary)
    @app_commands.describe(due="30m, 2h, 1d, 14:00 or ISO 8601", incident=INCIDENT_HELP)
    @app_commands.autocomplete(incident=incidents)
    async def task(
        ix: discord.Interaction,
        owner: discord.Member,
        due: str,
        title: app_commands.Range[str, 1, 300],
        incident: str | None = None,
    ) -> None:
        await say(ix, "task", incident, f"<@{owner.id}> {due} {title}")

    @group.command(name="done", description=VERBS["done"].summary)
    @app_commands.autocomplete(task=choices(Topic.TASK), incident=incidents)
    async def done(ix: discord.Interaction, task: str, incident: str | None = None) -> None:
        await say(ix, "done", incident, task)

    @group.command(name="state", description=VERBS["state"].summary)
    @app_commands.choices(state=_options(OPEN_STATES))
    @app_commands.autocomplete(incident=incidents)
    async def state(ix: discord.Interaction, state: str, incident: str | None = None) -> None:
        await say(ix, "state", incident, state)

    @group.command(name="cadence", description=VERBS["cadence"].summary)
    @app_commands.describe(every="e.g. 30m or 1h")
    @app_commands.autocomplete(incident=incidents)
    async def cadence(ix: discord.Interaction, every: str, incident: str | None = None) -> None:
        await say(ix, "cadence", incident, every)

    @group.command(name="eta", description=VERBS["eta"].summary)
    @app_commands.describe(time="30m, 14:00, ISO 8601, or clear")
    @app_commands.autocomplete(incident=incidents)
    async def eta(ix: discord.Interaction, time: str, incident: str | None = None) -> None:
        await say(ix, "eta", incident, time)

    @group.command(name="snooze", description=VERBS["snooze"].summary)
    @app_commands.describe(duration="e.g. 30m")
    @app_commands.autocomplete(incident=incidents)
    async def snooze(ix: discord.Interaction, duration: str, incident: str | None = None) -> None:
        await say(ix, "snooze", incident, duration)

    @group.command(name="draft", description=VERBS["draft"].summary)
    @app_commands.describe(template="start from a template", text="or write the statement")
    @app_commands.choices(template=_options(TEMPLATE_NAMES))
    @app_commands.autocomplete(incident=incidents)
    async def draft(
        ix: discord.Interaction,
        template: str | None = None,
        text: app_commands.Range[str, 1, 4000] | None = None,
        incident: str | None = None,
    ) -> None:
        await say(ix, "draft", incident, template or text or "")

    @group.command(name="edit", description=VERBS["edit"].summary)
    @app_commands.autocomplete(statement=drafts, incident=incidents)
    async def edit(
        ix: discord.Interaction,
        statement: str,
        text: app_commands.Range[str, 1, 4000],
        incident: str | None = None,
    ) -> None:
        await say(ix, "edit", incident, f"{statement} {text}")

    @group.command(name="resolve", description=VERBS["resolve"].summary)
    @app_commands.autocomplete(incident=incidents)
    async def resolve(
        ix: discord.Interaction,
        summary: app_commands.Range[str, 0, 4000] = "",
        incident: str | None = None,
    ) -> None:
        await say(ix, "resolve", incident, summary)

    @group.command(name="correct", description=VERBS["correct"].summary)
    @app_commands.describe(statement="the published statement", text="the corrected wording")
    @app_commands.autocomplete(statement=choices(Topic.PUBLISHED), incident=incidents)
    async def correct(
        ix: discord.Interaction,
        statement: str,
        text: app_commands.Range[str, 1, 4000],
        incident: str | None = None,
    ) -> None:
        await say(ix, "correct", incident, f"{statement} {text}")

    for verb in ("status", "tasks", "timeline", "postmortem"):
        group.add_command(about_incident(verb))
    for verb in ("approve", "reject"):
        group.add_command(vote(verb))
    return group
