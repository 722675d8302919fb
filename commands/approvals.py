"""Votes on drafts, from reactions or the approve/reject fallback.

Every vote, counted or ignored, goes on the timeline. The statement row is
locked while a vote is counted, so two approvals arriving together are counted
one after the other and the statement is approved (and its deliveries written)
exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands import effects, outbox
from commands.checklist import blocking_problems
from commands.context import Ctx
from commands.domain import incident_ref, statement_ref
from commands.errors import InvalidTransition, NotAllowed
from commands.policy import APPROVE, REJECT
from commands.ports import Line, Mention, Message, Reply, Segment, Strong, text
from storage import Approval, Incident, Statement


@dataclass(frozen=True)
class Ballot:
    statement: Statement
    revision: int
    decision: str
    added: bool = True
    source: str = "command"


async def _ignore(ctx: Ctx, incident: Incident, ballot: Ballot, reason: str) -> Reply:
    assert incident.id is not None
    ref = statement_ref(ballot.statement.number)
    await ctx.uow.timeline.add(
        incident.id,
        ctx.now,
        "vote_ignored",
        f"{ballot.decision} of {ref} by {ctx.actor.user_id} ignored: {reason}",
        actor_id=ctx.actor.user_id,
        statement=ballot.statement.number,
        reason=reason,
    )
    return Reply(
        text(f"Your {ballot.decision} of {ref} was not counted: {reason}"),
        ephemeral=True,
        is_error=True,
    )


async def cast(ctx: Ctx, incident: Incident, ballot: Ballot) -> Reply:
    """Apply one vote (or its withdrawal) under the approval policy."""
    statement, ref = ballot.statement, statement_ref(ballot.statement.number)
    assert statement.id is not None and incident.id is not None
    if statement.state != "draft":
        return await _ignore(ctx, incident, ballot, f"{ref} is already {statement.state}.")
    if ballot.revision != statement.revision:
        return await _ignore(
            ctx,
            incident,
            ballot,
            f"that was revision {ballot.revision}; {ref} is now at revision "
            f"{statement.revision}. Vote on the newest draft message.",
        )
    roles = await effects.roles_of(ctx.uow, incident.id)
    policy = ctx.deps.approval
    if not await policy.is_eligible(ctx.actor, incident.workspace_id, roles, ctx.chat):
        return await _ignore(
            ctx, incident, ballot, f"you are not an approver (approvers: {policy.describe()})."
        )
    if not ballot.added:
        withdrawn = await ctx.uow.statements.withdraw_vote(
            statement.id, statement.revision, ctx.actor.user_id, ballot.decision
        )
        if withdrawn:
            await ctx.uow.timeline.add(
                incident.id,
                ctx.now,
                "vote_withdrawn",
                f"{ctx.actor.user_id} withdrew their {ballot.decision} of {ref}",
                actor_id=ctx.actor.user_id,
                statement=statement.number,
            )
            ctx.later(lambda: effects.refresh_draft(ctx.deps, statement.id or 0), "refresh draft")
            return Reply(text(f"Your {ballot.decision} of {ref} was withdrawn."), ephemeral=True)
        return Reply(text(f"You had no {ballot.decision} on {ref} to withdraw."), ephemeral=True)
    if ballot.decision == APPROVE and (problems := blocking_problems(statement.body)):
        return await _ignore(
            ctx,
            incident,
            ballot,
            f"{ref} cannot be approved: {'; '.join(problems)}. Edit it first "
            f"(`/incident edit {ref} <text>`).",
        )
    await ctx.uow.statements.set_vote(
        Approval(
            statement_id=statement.id,
            revision=statement.revision,
            user_id=ctx.actor.user_id,
            decision=ballot.decision,
            created_at=ctx.now,
        )
    )
    await ctx.uow.timeline.add(
        incident.id,
        ctx.now,
        f"vote_{ballot.decision}",
        f"{ctx.actor.user_id} voted {ballot.decision} on {ref} (revision {statement.revision}, "
        f"via {ballot.source})",
        actor_id=ctx.actor.user_id,
        statement=statement.number,
        revision=statement.revision,
    )
    return await _tally(ctx, incident, statement)


async def _tally(ctx: Ctx, incident: Incident, statement: Statement) -> Reply:
    assert statement.id is not None and incident.id is not None
    ref = statement_ref(statement.number)
    policy = ctx.deps.approval
    votes = await ctx.uow.statements.votes(statement.id, statement.revision)
    ctx.later(lambda: effects.refresh_draft(ctx.deps, statement.id or 0), "refresh draft")
    if any(v.decision == REJECT for v in votes):
        await ctx.uow.statements.transition(statement.id, "draft", "rejected")
        await ctx.uow.timeline.add(
            incident.id,
            ctx.now,
            "statement_rejected",
            f"{ref} rejected",
            actor_id=ctx.actor.user_id,
            statement=statement.number,
        )
        return _announce(
            ctx,
            incident,
            (
                Strong(f"❌ {ref} rejected"),
                " by ",
                Mention(ctx.actor.user_id),
                f". Edit it (`/incident edit {ref} <text>`) or draft another.",
            ),
        )
    unedited_template = statement.preapproved and statement.revision == 1
    author_counts = policy.author_counts or unedited_template
    counted = [
        v
        for v in votes
        if v.decision == APPROVE and (author_counts or v.user_id != statement.author_id)
    ]
    needed = policy.quorum(incident.severity, unedited_template)
    if len(counted) < needed:
        note = (
            ""
            if author_counts or ctx.actor.user_id != statement.author_id
            else " (the author's own vote does not count)"
        )
        return Reply(
            text(f"Vote recorded on {ref}: {len(counted)} of {needed} approvals{note}."),
            ephemeral=True,
        )
    if not await ctx.uow.statements.transition(
        statement.id, "draft", "approved", approved_at=ctx.now
    ):
        return Reply(text(f"{ref} was approved a moment ago."), ephemeral=True)
    labels = await outbox.enqueue(ctx.uow, ctx.deps, statement, ctx.now)
    approvers = [Mention(v.user_id) for v in counted]
    await ctx.uow.timeline.add(
        incident.id,
        ctx.now,
        "statement_approved",
        f"{ref} approved by {', '.join(v.user_id for v in counted)}",
        statement=statement.number,
        approvers=[v.user_id for v in counted],
    )
    where = (
        f"publishing to {', '.join(labels)}"
        if labels
        else ("but no public destination is configured (set PUBLIC_DESTINATIONS)")
    )
    joined: list[Segment] = []
    for mention in approvers:
        joined.extend([mention, ", "])
    return _announce(
        ctx, incident, (Strong(f"✅ {ref} approved"), " by ", *joined[:-1], f" — {where}.")
    )


def _announce(ctx: Ctx, incident: Incident, line: Line) -> Reply:
    """Outcomes everyone should see go to the incident channel, not just the voter."""
    message = Message(lines=(line,))
    ctx.later(
        lambda: effects.say(ctx.deps, incident.platform, incident.channel_id, message),
        "announce vote outcome",
    )
    return Reply(text("Your vote was counted."), ephemeral=True)


async def find_statement(ctx: Ctx, incident: Incident, number: int) -> Statement:
    assert incident.id is not None
    statement = await ctx.uow.statements.by_number(incident.id, number, for_update=True)
    if statement is None:
        raise InvalidTransition(
            f"{incident_ref(incident.number)} has no statement S{number}.",
            "`/incident status` lists the drafts waiting for approval.",
        )
    return statement


def refuse_unless_draft(statement: Statement) -> None:
    if statement.state not in ("draft", "rejected"):
        raise NotAllowed(
            f"{statement_ref(statement.number)} is {statement.state}; it can no longer change.",
            "Draft a new statement (or a correction) instead.",
        )
