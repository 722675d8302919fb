"""What every handler gets: dependencies, the unit of work, who asked and where."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from commands.approval.phrases import ChecklistPhrases
from commands.approval.policy import ApprovalPolicy, CadencePolicy
from commands.authority.rules import AuthorityPolicy
from commands.clock import Clock
from commands.errors import NotFound
from commands.grammar.severity import DEFAULT_SEVERITY_WORDS
from commands.grammar.templates import DEFAULT_TEMPLATES, Template
from commands.ports import Actor, ChannelRef, ChatPlatform, Destination, Timer
from commands.publishing.destinations import key_label
from commands.required import require
from commands.telemetry import NullTelemetry, Telemetry
from storage import Incident, Store, UnitOfWork

log = logging.getLogger("candor.effects")


@dataclass
class Deps:
    """Everything the core talks to, built once by the composition root."""

    store: Store
    clock: Clock
    platforms: Mapping[str, ChatPlatform]
    timer: Timer
    destinations: Mapping[str, Destination] = field(default_factory=dict)
    approval: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    authority: AuthorityPolicy = field(default_factory=AuthorityPolicy)
    cadence: CadencePolicy = field(default_factory=CadencePolicy)
    templates: Mapping[str, Template] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    checklist: ChecklistPhrases = field(default_factory=ChecklistPhrases)
    # The team's words for severities at the end of `open` (CANDOR_CONFIG [severities]).
    severity_words: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_WORDS))
    feeds: Mapping[str, str] = field(default_factory=dict)  # platform → incidents feed channel
    public_url: str | None = None  # base of the status hub, when it is served
    telemetry: Telemetry = field(default_factory=NullTelemetry)  # timings for bot/metrics
    # Destination kind → how the public knows the place ("Slack", "webhooks"), from the
    # adapters; a kind not named here is known by its destination's label.
    places: Mapping[str, str] = field(default_factory=dict)

    def chat(self, platform: str) -> ChatPlatform:
        return self.platforms[platform]

    def label(self, destination_key: str) -> str:
        """How a delivery's destination is named to people."""
        destination = self.destinations.get(destination_key)
        return destination.label if destination is not None else key_label(destination_key)

    def place(self, destination_key: str) -> str:
        """A destination named for the public: the kind of place, never a channel id or URL."""
        kind = destination_key.partition(":")[0].lower()
        return self.places.get(kind) or self.label(destination_key)

    def hub_url(self, incident: Incident) -> str | None:
        if not self.public_url:
            return None
        return f"{self.public_url.rstrip('/')}/status/incidents/{incident.id}"

    def later(self, uow: UnitOfWork, effect: Callable[[], Awaitable[None]], what: str) -> None:
        """Run ``effect`` after commit; a failing side effect is logged, never raised."""

        async def guarded() -> None:
            try:
                await effect()
            except Exception:
                log.exception("after-commit effect failed: %s", what)

        uow.after_commit(guarded)


@dataclass
class Ctx:
    deps: Deps
    uow: UnitOfWork
    actor: Actor
    channel: ChannelRef
    now: datetime
    incident: Incident | None = None
    # The APPROVERS/ADMINS groups the actor is in, asked before the unit of work opened
    # (commands/authority/groups.py): no network call while the transaction is open.
    groups: frozenset[str] = frozenset()
    # What a verb's Preparation made before this unit of work (open: its new channel).
    prepared: Any = None

    @property
    def chat(self) -> ChatPlatform:
        return self.deps.chat(self.channel.platform)

    def need_incident(self) -> Incident:
        if self.incident is None:
            raise NotFound(
                "This is not an incident channel.",
                "Run it in the incident's channel, or name the incident: "
                "`/incident INC-4 status`. `/incident list` shows open incidents.",
            )
        return self.incident

    def later(self, effect: Callable[[], Awaitable[None]], what: str) -> None:
        self.deps.later(self.uow, effect, what)

    async def note(self, incident: Incident, kind: str, text: str, /, **data: Any) -> None:
        """Add a row to ``incident``'s timeline, at ``now``, by whoever asked."""
        incident_id = require(incident.id, "incident id")
        await self.uow.timeline.add(
            incident_id, self.now, kind, text, actor_id=self.actor.user_id, **data
        )


class Preparation(Protocol):
    """A verb whose platform call must come before its unit of work, since no network
    call may be made while one is open (open makes the channel its incident row names).

    The desk runs ``reserve`` in a short transaction of its own (with the event key and
    the authority check), makes ``call`` with no transaction open, then runs the verb's
    handler in a second transaction that begins with ``release`` (the reservation ends
    with the row it reserved for). If anything fails after ``reserve`` committed,
    ``release`` runs in a transaction of its own and ``abandon`` says what ``call`` left
    behind outside the database.
    """

    async def reserve(self, ctx: Ctx, request: Any) -> Any: ...

    async def call(self, deps: Deps, channel: ChannelRef, request: Any, reserved: Any) -> Any: ...

    async def release(self, uow: UnitOfWork, channel: ChannelRef, reserved: Any) -> None: ...

    async def abandon(self, deps: Deps, made: Any) -> None: ...


async def give_back(
    deps: Deps,
    prepare: Preparation,
    channel: ChannelRef,
    reserved: Any,
    made: Any,
    event_key: str | None = None,
) -> None:
    """Undo a preparation whose work did not follow: release what it reserved (and the
    event key, so the platform's redelivery may try again), and mark what its call made.
    Never raises: a reservation that cannot be released lapses with the day's event keys."""
    try:
        async with deps.store.unit_of_work() as uow:
            await prepare.release(uow, channel, reserved)
            if event_key is not None:
                await uow.events.forget(event_key)
    except Exception:
        log.exception("could not give back what a failed command reserved")
    if made is not None:
        await prepare.abandon(deps, made)
