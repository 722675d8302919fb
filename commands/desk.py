"""The Desk: the core's public entry points. Adapters call these and nothing else.

- ``handle_text`` / ``handle``: a command from a person → a ``Reply``.
- ``react``: a reaction on a message → maybe a vote.
- ``run_due``: fire due reminders and hand due statements to the destinations'
  couriers (called by the timer; never waits for a destination).
- ``settle``: ``run_due``, then wait until the couriers are idle (tests, the console).
- ``stop``: stop the couriers (a shut-down, a replica that stopped leading).
- ``start``: recover after a restart and re-arm the timer.
- ``retry_delivery`` / ``list_deliveries``: the operator's outbox tools (CLI).
- ``suggest``: choices while an argument is typed (Discord autocomplete).
- ``prefill``: what a form opens with (a draft's wording to edit, a template's text).

``run_due``, ``settle``, ``stop``, ``start`` and the outbox tools are ``commands.upkeep``'s.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from commands import forms
from commands.approval import votes as approvals
from commands.approval.policy import APPROVE, REJECT, normalise_emoji
from commands.authority import permit
from commands.authority.groups import groups_of
from commands.authority.rules import ANYONE
from commands.context import Ctx, give_back
from commands.errors import CommandError, DuplicateEvent
from commands.failures import chat_refused, crash_reply, error_reply
from commands.forms import FormText
from commands.grammar import requests as rq
from commands.grammar import suggest as suggestions
from commands.grammar.command_line import parse
from commands.grammar.forms import FormAsk
from commands.grammar.verbs import VERBS, Verb, verb_of
from commands.ports import Actor, ChannelRef, ChatError, Reply, text
from commands.required import require
from commands.upkeep import Upkeep
from storage import Incident, UnitOfWork

log = logging.getLogger("candor.desk")


@dataclass(frozen=True)
class Reaction:
    """A reaction added to (or removed from) a chat message."""

    channel: ChannelRef
    message_id: str
    actor: Actor
    emoji: str
    added: bool = True
    event_key: str | None = None


class Desk(Upkeep):
    """Commands, votes, forms and suggestions; the timer's work is ``Upkeep``'s."""

    async def handle_text(
        self, line: str, actor: Actor, channel: ChannelRef, *, event_key: str | None = None
    ) -> Reply:
        try:
            command = parse(line, self.deps.severity_words)
        except CommandError as error:
            return error_reply(error)
        return await self.handle(command, actor, channel, event_key=event_key)

    async def handle(
        self,
        command: rq.Command,
        actor: Actor,
        channel: ChannelRef,
        *,
        event_key: str | None = None,
    ) -> Reply:
        """Run one command as one unit of work; errors become replies, never exceptions."""
        verb = verb_of(command.request)
        try:
            groups = frozenset[str]()
            anyone = ANYONE in self.deps.authority.who(verb.name)
            if not anyone:  # a vote, or admins' say
                groups = await groups_of(self.deps, actor, channel.workspace_id)
            if verb.prepare is not None:
                reply, timers_changed = await self._prepared(
                    verb, command, actor, channel, event_key, groups
                )
            elif verb.reads_only and anyone:
                reply, timers_changed = await self._read(verb, command, actor, channel), False
            else:
                async with self.deps.store.unit_of_work() as uow:
                    ctx = await self._context(uow, actor, channel, event_key, groups)
                    ctx.incident = await self._incident(ctx, command)
                    if verb.needs_incident:
                        ctx.need_incident()
                    refused = await permit.refusal(ctx, command.request, verb.name)
                    reply = refused or await verb.handler(ctx, command.request)
                timers_changed = uow.timers_changed
        except DuplicateEvent:
            return Reply(
                text("That was already handled."), ephemeral=True, is_error=True, duplicate=True
            )
        except CommandError as error:
            return error_reply(error)
        except ChatError as error:
            return chat_refused(error)
        except Exception:
            return crash_reply()
        if timers_changed:  # new reminders or deliveries: the timer may be due sooner
            await self.rearm()
        return reply

    async def _read(
        self, verb: Verb, command: rq.Command, actor: Actor, channel: ChannelRef
    ) -> Reply:
        """A verb that only reads, open to anyone: no transaction, nothing locked, and no
        event key kept (answering a redelivered question twice changes nothing)."""
        async with self.deps.store.reading() as uow:
            ctx = Ctx(self.deps, uow, actor, channel, self.deps.clock.now())
            if verb.needs_incident:
                ctx.incident = await self._incident(ctx, command, for_update=False)
                ctx.need_incident()
            return await verb.handler(ctx, command.request)

    async def _prepared(
        self,
        verb: Verb,
        command: rq.Command,
        actor: Actor,
        channel: ChannelRef,
        event_key: str | None,
        groups: frozenset[str],
    ) -> tuple[Reply, bool]:
        """A verb whose platform call comes first (``Preparation``): reserve, call the
        platform with no transaction open, then write; undo the reservation on failure."""
        prepare = require(verb.prepare, "the verb's preparation")
        async with self.deps.store.unit_of_work() as uow:
            ctx = await self._context(uow, actor, channel, event_key, groups)
            ctx.incident = await self._incident(ctx, command)
            refused = await permit.refusal(ctx, command.request, verb.name)
            if refused is not None:
                return refused, False
            reserved = await prepare.reserve(ctx, command.request)
        made = None
        try:
            made = await prepare.call(self.deps, channel, command.request, reserved)
            async with self.deps.store.unit_of_work() as uow:
                ctx = await self._context(uow, actor, channel, None, groups)
                ctx.incident = await self._incident(ctx, command)
                ctx.prepared = made
                await prepare.release(uow, channel, reserved)
                reply = await verb.handler(ctx, command.request)
        except BaseException:
            await give_back(self.deps, prepare, channel, reserved, made, event_key)
            raise
        return reply, uow.timers_changed

    async def prefill(self, ask: FormAsk, actor: Actor, channel: ChannelRef) -> FormText | Reply:
        """What a form opens with (``commands.forms``), when ``actor`` may run its verb
        here; else the refusal or the problem, as the typed command would answer."""
        verb = VERBS[ask.verb]
        request = forms.request_of(ask)
        try:
            groups = frozenset[str]()
            if ANYONE not in self.deps.authority.who(verb.name):
                groups = await groups_of(self.deps, actor, channel.workspace_id)
            async with self.deps.store.unit_of_work() as uow:
                ctx = await self._context(uow, actor, channel, None, groups)
                ctx.incident = await self._incident(ctx, rq.Command(request, ask.incident_number))
                refused = await permit.refusal(ctx, request, verb.name)
                return refused or await forms.prefill(ctx, ask)
        except CommandError as error:
            return error_reply(error)
        except Exception:
            return crash_reply()

    async def react(self, reaction: Reaction) -> Reply | None:
        """A reaction on a draft message is a vote; any other reaction is ignored."""
        emoji = normalise_emoji(reaction.emoji)
        policy = self.deps.approval
        decision = {policy.approve_emoji: APPROVE, policy.reject_emoji: REJECT}.get(emoji)
        if decision is None:
            return None
        try:
            groups = await groups_of(self.deps, reaction.actor, reaction.channel.workspace_id)
            async with self.deps.store.unit_of_work() as uow:
                revision = await uow.statements.revision_by_message(
                    reaction.channel.channel_id, reaction.message_id
                )
                if revision is None:
                    return None
                ctx = await self._context(
                    uow, reaction.actor, reaction.channel, reaction.event_key, groups
                )
                # Lock the incident, then the statement: the order commands take them in, so
                # a reaction racing `/incident approve` cannot deadlock (PostgreSQL).
                ctx.incident = await uow.incidents.of_statement(
                    revision.statement_id, for_update=True
                )
                statement = await uow.statements.get(revision.statement_id, for_update=True)
                assert statement is not None and ctx.incident is not None
                ballot = approvals.Ballot(
                    statement, revision.revision, decision, reaction.added, source="reaction"
                )
                reply = await approvals.cast(ctx, ctx.incident, ballot)
        except DuplicateEvent:
            return Reply(
                text("That was already handled."), ephemeral=True, is_error=True, duplicate=True
            )
        except CommandError as error:
            return error_reply(error)
        except ChatError as error:
            return chat_refused(error)
        except Exception:
            return crash_reply()
        if uow.timers_changed:  # new reminders or deliveries: the timer may be due sooner
            await self.rearm()
        return reply

    async def _context(
        self,
        uow: UnitOfWork,
        actor: Actor,
        channel: ChannelRef,
        event_key: str | None,
        groups: frozenset[str] = frozenset(),
    ) -> Ctx:
        now = self.deps.clock.now()
        if event_key is not None and not await uow.events.first_time(event_key, now):
            raise DuplicateEvent("That was already handled.")
        return Ctx(self.deps, uow, actor, channel, now, groups=groups)

    async def _incident(
        self, ctx: Ctx, command: rq.Command, *, for_update: bool = True
    ) -> Incident | None:
        """The incident the command is about, locked for the unit of work (one query)."""
        incidents_ = ctx.uow.incidents
        where = ctx.channel
        if command.incident_number is None:
            return await incidents_.by_channel(
                where.platform, where.channel_id, for_update=for_update
            )
        found = await incidents_.by_number(
            where.platform, where.workspace_id, command.incident_number, for_update=for_update
        )
        if found is None:
            raise CommandError(
                f"There is no INC-{command.incident_number} here.",
                "`/incident list` shows open incidents.",
            )
        return found

    async def suggest(
        self,
        channel: ChannelRef,
        topic: suggestions.Topic,
        typed: str,
        incident_number: int | None = None,
    ) -> list[suggestions.Choice]:
        """Choices for an argument being typed (Discord autocomplete); never raises."""
        try:
            async with self.deps.store.reading() as uow:
                return await suggestions.suggest(uow, channel, topic, typed, incident_number)
        except Exception:
            log.exception("suggestions failed")
            return []
