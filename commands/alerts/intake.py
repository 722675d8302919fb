"""Alert notifications → incidents (issue 17).

One incident per alert group while it is open: the group's first notification opens it
through the same handler as `/incident open` (so the public clock starts and the
acknowledgement draft waits for approval), later ones add timeline events and at most
one channel message each. The group's last notification again (a retry, a re-send after
repeat_interval) changes nothing; a changed one is applied as the group's new state, so
one that arrives twice still announces each alert once. Past the hourly limit new groups
join the newest alert-opened incident.
Each notification is one unit of work; they are taken one at a time per process, so a
flood queues here and the team's commands keep their share of the database.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from commands.alerts import wording
from commands.alerts.mapping import AlertMapping
from commands.alerts.notification import Notification, withhold_secrets
from commands.context import Ctx, give_back
from commands.desk import Desk
from commands.domain import (
    NEUTRAL_TITLE,
    OPEN_STATES,
    SYSTEM_PREFIX,
    TITLE_MAX,
    incident_ref,
    is_system,
)
from commands.effects import say
from commands.errors import CommandError
from commands.grammar import requests as rq
from commands.grammar.command_line import open_request
from commands.handlers.incidents import open_incident
from commands.handlers.opening import CHANNEL_FIRST, Opening
from commands.handlers.statements import create_statement
from commands.ports import Actor, ChannelRef, ChatError, Message
from commands.required import require
from storage import AlertGroup, Incident, StatementState

log = logging.getLogger("candor.alerts")

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Receipt:
    """What a notification did: ``opened``, ``updated``, ``resolved``, ``unchanged``,
    ``duplicate`` (seen before), ``ignored`` (a resolution for no open group),
    ``attached`` (past the hourly limit) or ``held`` (past it, with nowhere to go)."""

    outcome: str
    incident: str | None = None


class AlertsUnavailable(Exception):
    """The notification could not be taken now (the chat platform refused, another
    replica holds the group): nothing was written; the sender should retry."""


class _Contended(Exception):
    """Another transaction claimed this group first; read it again."""


def system_actor(place: ChannelRef, note: Notification) -> Actor:
    return Actor(place.platform, f"{SYSTEM_PREFIX}{note.source}", note.source_name)


class AlertIntake:
    def __init__(self, desk: Desk, mapping: AlertMapping, max_per_hour: int) -> None:
        self.desk = desk
        self.mapping = mapping
        self.max_per_hour = max_per_hour
        self._one_at_a_time = asyncio.Lock()

    async def receive(self, note: Notification, place: ChannelRef) -> Receipt:
        note = withhold_secrets(note)
        async with self._one_at_a_time:
            for _ in range(3):
                try:
                    return await self._receive(note, place)
                except _Contended:
                    continue
        raise AlertsUnavailable("another process is opening this group's incident")

    async def _receive(self, note: Notification, place: ChannelRef) -> Receipt:
        deps = self.desk.deps
        opening: Opening | None = None
        try:
            if await self._will_open(note):  # its channel is made before the unit of work
                opening = await self._channel_first(place, note)
            async with deps.store.unit_of_work() as uow:
                ctx = Ctx(deps, uow, system_actor(place, note), place, deps.clock.now())
                if opening is not None:
                    await CHANNEL_FIRST.release(uow, place, opening.number)
                    ctx.prepared = opening
                group, incident = await self._open_group(ctx, note)
                if group is not None and group.last_digest == note.digest:
                    # Alertmanager retries a notification until it is answered, and sends
                    # the group again every repeat_interval: the same body is no news.
                    ref = incident_ref(incident.number) if incident else None
                    receipt = Receipt("duplicate", ref)
                elif group is None:
                    receipt = await self._new_group(ctx, note)
                else:
                    receipt = await self._update(ctx, group, require(incident, "incident"), note)
        except BaseException as error:
            if opening is not None:
                await give_back(deps, CHANNEL_FIRST, place, opening.number, opening)
            if isinstance(error, ChatError):
                raise AlertsUnavailable(f"the chat platform refused: {error.reason}") from error
            raise
        if opening is not None and ctx.prepared is not None:  # raced: another took the group
            await give_back(deps, CHANNEL_FIRST, place, opening.number, opening)
        if uow.timers_changed:
            await self.desk.rearm()
        return receipt

    async def _will_open(self, note: Notification) -> bool:
        """Whether this notification opens an incident, as far as can be read now (the
        unit of work decides; a channel made for nothing is given back)."""
        if not note.firing:
            return False
        deps = self.desk.deps
        async with deps.store.reading() as uow:
            group = await uow.alert_groups.active(note.key_hash)
            if group is not None and group.incident_id is not None:
                incident = await uow.incidents.get(group.incident_id)
                if incident is not None and incident.state in OPEN_STATES:
                    return False
            since = deps.clock.now() - HOUR
            return await uow.alert_groups.opened_since(since) < self.max_per_hour

    async def _channel_first(self, place: ChannelRef, note: Notification) -> Opening:
        """Reserve the number and make the channel with no transaction open, as `open`
        does (commands/handlers/opening.py)."""
        deps, request = self.desk.deps, self._open_request(note)
        async with deps.store.unit_of_work() as uow:
            ctx = Ctx(deps, uow, system_actor(place, note), place, deps.clock.now())
            number: int = await CHANNEL_FIRST.reserve(ctx, request)
        try:
            return await CHANNEL_FIRST.call(deps, place, request, number)
        except BaseException:
            await give_back(deps, CHANNEL_FIRST, place, number, None)
            raise

    async def _open_group(
        self, ctx: Ctx, note: Notification
    ) -> tuple[AlertGroup | None, Incident | None]:
        """The group's row while its incident is open; a row whose incident was resolved
        (or that had nowhere to go) is let go, so the group starts afresh."""
        group = await ctx.uow.alert_groups.active(note.key_hash)
        if group is None:
            return None, None
        incident = None
        if group.incident_id is not None:
            incident = await ctx.uow.incidents.get(group.incident_id, for_update=True)
        if incident is not None and incident.state in OPEN_STATES:
            return group, incident
        group.active_key = None
        await ctx.uow.alert_groups.save(group)
        return None, None

    def _group(self, note: Notification, ctx: Ctx) -> AlertGroup:
        return AlertGroup(
            source=note.source,
            key_hash=note.key_hash,
            label=note.label,
            active_key=note.key_hash,
            firing=sorted({a.fingerprint for a in note.firing}),
            notifications=1,
            last_digest=note.digest,
            created_at=ctx.now,
            updated_at=ctx.now,
        )

    async def _new_group(self, ctx: Ctx, note: Notification) -> Receipt:
        if not note.firing:
            return Receipt("ignored")  # a resolution for a group with no open incident
        uow = ctx.uow
        group = self._group(note, ctx)
        if await uow.alert_groups.opened_since(ctx.now - HOUR) >= self.max_per_hour:
            return await self._flooded(ctx, note, group)
        group.opened_incident = True
        if ctx.prepared is None:  # its channel was not made first: read the group again
            raise _Contended
        claimed = await uow.alert_groups.claim(group)
        if claimed is None:
            raise _Contended
        await open_incident(ctx, self._open_request(note))
        ctx.prepared = None  # used: the incident's channel
        incident = require(ctx.incident, "the opened incident")
        claimed.incident_id = incident.id
        await uow.alert_groups.save(claimed)
        await ctx.note(
            incident,
            "alerts",
            f"{note.source_name}: {len(note.firing)} firing in {note.label}",
            group=note.label,
            firing=len(note.firing),
        )
        ack = next(iter(await uow.statements.of_incident(require(incident.id, "id"))))
        self._tell(ctx, incident, wording.opened(note, ack.number), "alert details")
        return Receipt("opened", incident_ref(incident.number))

    def _open_request(self, note: Notification) -> rq.OpenIncident:
        """The group's summary as the title, else its alert name; a title the grammar
        refuses (a secret in it, say) falls back to the next. The first alert's
        description is the incident's (internal: the pinned summary shows it)."""
        severity = self.mapping.most_severe([a.severity for a in note.firing])
        firing = note.firing
        description = next((a.description for a in firing if a.description), "")[:3000]
        candidates = [note.title, *(a.summary for a in firing), note.label]
        for title in (c.strip() for c in candidates if c.strip()):
            if len(title) > TITLE_MAX:
                title = title[: TITLE_MAX - 1].rstrip() + "…"
            for described in (description, ""):
                try:
                    return open_request(title, severity, described)
                except CommandError:
                    continue
        return open_request(f"Alert from {note.source_name}", severity)

    async def _flooded(self, ctx: Ctx, note: Notification, group: AlertGroup) -> Receipt:
        """Past the hourly limit: the group joins the newest alert-opened incident; the
        channel and the feed hear about it at most once a minute."""
        uow = ctx.uow
        target = await uow.alert_groups.newest_alert_incident()
        group.flooded = True
        group.incident_id = target.id if target is not None else None
        if await uow.alert_groups.claim(group) is None:
            raise _Contended
        minute = f"{ctx.now:%Y%m%d%H%M}"
        first_this_minute = await uow.events.first_time(f"alerts:flood:{minute}", ctx.now)
        feed = ctx.deps.feeds.get(ctx.channel.platform)
        if first_this_minute and feed:
            message = wording.flood_feed(target, self.max_per_hour)
            ctx.later(lambda: say(ctx.deps, ctx.channel.platform, feed, message), "flood feed")
        if target is None:
            return Receipt("held")
        await ctx.note(
            target,
            "alerts",
            f"{note.source_name}: {note.label} joined (hourly limit reached)",
            group=note.label,
            flooded=True,
        )
        if first_this_minute:
            attached = await uow.alert_groups.flooded_into(require(target.id, "id"))
            summary = wording.flood_summary(target, attached, self.max_per_hour, note)
            self._tell(ctx, target, summary, "flood summary")
        return Receipt("attached", incident_ref(target.number))

    async def _update(
        self, ctx: Ctx, group: AlertGroup, incident: Incident, note: Notification
    ) -> Receipt:
        known, was_resolved = set(group.firing), group.resolved_at is not None
        new = tuple(a for a in note.firing if a.fingerprint not in known)
        group.firing = sorted({a.fingerprint for a in note.firing})
        group.notifications += 1
        group.updated_at, group.last_digest = ctx.now, note.digest
        if not note.firing:
            return await self._resolved(ctx, group, incident, note, was_resolved)
        group.resolved_at = None
        await ctx.uow.alert_groups.save(group)
        what = f"{len(new)} more firing" if new else "still firing"
        await ctx.note(
            incident,
            "alerts",
            f"{note.source_name}: {what} in {note.label} ({len(group.firing)} firing)",
            group=note.label,
            firing=len(group.firing),
            new=len(new),
        )
        if was_resolved:
            await self._tell_group(ctx, group, incident, wording.firing_again(note), "again")
        elif new:  # else a change with nothing new firing: the timeline has it, chat is quiet
            message = wording.more_firing(note, new, len(group.firing))
            await self._tell_group(ctx, group, incident, message, "group update")
        return Receipt("updated", incident_ref(incident.number))

    async def _resolved(
        self,
        ctx: Ctx,
        group: AlertGroup,
        incident: Incident,
        note: Notification,
        was_resolved: bool,
    ) -> Receipt:
        ref = incident_ref(incident.number)
        if was_resolved:
            await ctx.uow.alert_groups.save(group)
            return Receipt("unchanged", ref)
        group.resolved_at = ctx.now
        await ctx.uow.alert_groups.save(group)
        await ctx.note(incident, "alerts", f"{note.source_name}: {note.label} resolved")
        draft = await self._monitoring_draft(ctx, group, incident)
        message = wording.group_resolved(note, draft, incident)
        await self._tell_group(ctx, group, incident, message, "resolved")
        return Receipt("resolved", ref)

    async def _monitoring_draft(
        self, ctx: Ctx, group: AlertGroup, incident: Incident
    ) -> int | None:
        """A `monitoring` draft once the group that opened the incident has resolved and no
        other of its groups still fires; one at a time (a flapping alert drafts once)."""
        incident_id = require(incident.id, "id")
        groups = await ctx.uow.alert_groups.of_incident(incident_id)
        if not group.opened_incident or any(g.firing for g in groups if g.active_key):
            return None
        for statement in await ctx.uow.statements.of_incident(incident_id):
            if statement.template == "monitoring" and statement.state == StatementState.DRAFT:
                return None
        title = NEUTRAL_TITLE if is_system(incident.opened_by) else None
        draft = await create_statement(ctx, incident, template="monitoring", title=title)
        return draft.number

    async def _tell_group(
        self, ctx: Ctx, group: AlertGroup, incident: Incident, message: Message, what: str
    ) -> None:
        """A group's news in its incident's channel; the groups a flood attached share one
        message a minute there (their timeline lines have every notification)."""
        if group.flooded:
            key = f"alerts:flood-news:{incident.id}:{ctx.now:%Y%m%d%H%M}"
            if not await ctx.uow.events.first_time(key, ctx.now):
                return
        self._tell(ctx, incident, message, what)

    def _tell(self, ctx: Ctx, incident: Incident, message: Message, what: str) -> None:
        ctx.later(lambda: say(ctx.deps, incident.platform, incident.channel_id, message), what)
