"""Side effects that run after a commit: keeping chat messages in step with the record."""

from __future__ import annotations

from collections.abc import Sequence

from commands import render
from commands.approval import quorum
from commands.context import Ctx, Deps
from commands.domain import statement_ref
from commands.ports import Message, MessageRef
from commands.publishing import corrections
from commands.required import require
from storage import Approval, Incident, Statement, StatementState, UnitOfWork


def refresh_summary_later(ctx: Ctx, incident: Incident) -> None:
    """After commit, bring the incident's pinned summary (and topic) up to date."""
    incident_id = require(incident.id, "incident id")
    ctx.later(lambda: refresh_summary(ctx.deps, incident_id), "refresh summary")


async def refresh_summary(deps: Deps, incident_id: int) -> None:
    """Post (and pin) the incident summary, or edit it in place; keep the topic current."""
    now = deps.clock.now()
    async with deps.store.unit_of_work() as uow:
        incident = await uow.incidents.get(incident_id)
        assert incident is not None
        roles = await quorum.roles_of(uow, incident_id)
        tasks = await uow.tasks.of_incident(incident_id)
    chat = deps.chat(incident.platform)
    message = render.summary(incident, roles, tasks, now)
    if incident.summary_message_id:
        await chat.update(MessageRef(incident.channel_id, incident.summary_message_id), message)
    else:
        ref = await chat.post(incident.channel_id, message)
        await chat.pin(ref)
        async with deps.store.unit_of_work() as uow:
            stored = await uow.incidents.get(incident_id)
            assert stored is not None
            stored.summary_message_id = ref.message_id
            await uow.incidents.save(stored)
    await chat.set_topic(incident.channel_id, render.topic(incident, now))


Known = tuple[Statement, Incident, Sequence[Approval]]  # a draft's rows, as just committed


async def _draft_message(
    deps: Deps, uow: UnitOfWork, statement_id: int, known: Known | None = None
) -> tuple[Message, Statement, Incident]:
    """The draft as it should read now, with the rows it was built from (``known``: rows
    the caller committed a moment ago, so they need not be read again)."""
    if known is not None:
        statement, incident, votes = known
    else:
        found = await uow.statements.get(statement_id)
        statement = require(found, "statement")
        incident = require(await uow.incidents.get(statement.incident_id), "incident")
        votes = await uow.statements.votes(statement_id, statement.revision)
    policy = deps.approval
    needed = policy.quorum(incident.severity, statement.preapproved and statement.revision == 1)
    message = render.draft(
        statement,
        incident,
        votes,
        needed,
        policy.describe(),
        policy.approve_emoji,
        policy.reject_emoji,
        deps.clock.now(),
        deps.checklist,
    )
    message = await corrections.draft_note(uow, statement, message)
    if statement.state == StatementState.DRAFT and (
        gap := await quorum.gap_for_statement(deps, uow, incident, statement)
    ):
        message = Message(title=message.title, lines=(*message.lines, (gap,)))
    return message, statement, incident


async def post_draft(deps: Deps, statement_id: int) -> None:
    """Post the current revision of a draft for votes, seeded with ✅ and ❌."""
    async with deps.store.unit_of_work() as uow:
        message, statement, incident = await _draft_message(deps, uow, statement_id)
    chat = deps.chat(incident.platform)
    ref = await chat.post(incident.channel_id, message)
    async with deps.store.unit_of_work() as uow:
        revision = await uow.statements.revision(statement_id, statement.revision)
        assert revision is not None
        revision.channel_id, revision.message_id = ref.channel_id, ref.message_id
        await uow.statements.save(revision)
        previous = await uow.statements.revision(statement_id, statement.revision - 1)
    await chat.add_reactions(ref, [deps.approval.approve_emoji, deps.approval.reject_emoji])
    if previous is not None and previous.message_id and previous.channel_id:
        note = (
            f"{statement_ref(statement.number)} revision {previous.revision} was replaced by "
            f"revision {statement.revision} (below). Votes here no longer count."
        )
        await chat.update(
            MessageRef(previous.channel_id, previous.message_id),
            Message(title=f"{statement_ref(statement.number)} · superseded", lines=((note,),)),
        )


async def refresh_draft(deps: Deps, statement_id: int, known: Known | None = None) -> None:
    """Edit the draft message in place (vote count, final state)."""
    async with deps.store.reading() as uow:
        message, statement, incident = await _draft_message(deps, uow, statement_id, known)
        revision = await uow.statements.revision(statement_id, statement.revision)
    if revision is None or not revision.message_id or not revision.channel_id:
        return
    await deps.chat(incident.platform).update(
        MessageRef(revision.channel_id, revision.message_id), message
    )


async def say(deps: Deps, platform: str, channel_id: str, message: Message) -> None:
    await deps.chat(platform).post(channel_id, message)
