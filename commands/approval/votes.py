"""Votes on drafts, from reactions or the approve/reject fallback.

Every vote, counted or ignored, goes on the timeline. The statement row is
locked while a vote is counted, so two approvals arriving together are counted
one after the other and the statement is approved (and its deliveries written)
exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands import effects
from commands.approval import guards as approval_guards
from commands.approval import quorum
from commands.approval.checklist import blocking_problems, secrets_in
from commands.approval.policy import APPROVE, REJECT
from commands.authority import permit
from commands.context import Ctx
from commands.domain import PUBLIC_ALERT_TITLE, incident_ref, is_system, statement_ref
from commands.errors import InvalidTransition, NotAllowed
from commands.grammar.times import promise_from
from commands.ports import Line, Mention, Message, Reply, Segment, Strong, text
from commands.publishing import outbox, public_facts
from storage import Approval, Incident, Statement, StatementState


@dataclass(frozen=True)
class Ballot:
    statement: Statement
    revision: int
    decision: str
    added: bool = True
    source: str = "command"
    pinned: bool = True  # cast on a named revision (a reaction on its message, or S5r3)


async def _ignore(ctx: Ctx, incident: Incident, ballot: Ballot, reason: str) -> Reply:
    assert incident.id is not None
    ref = statement_ref(ballot.statement.number)
    await ctx.uow.timeline.add_or_count(
        incident.id,
        ctx.now,
        "vote_ignored",
        f"{ballot.decision} of {ref} by {ctx.actor.user_id} ignored: {reason}",
        actor_id=ctx.actor.user_id,
        key=f"{ref}r{ballot.revision}:{ballot.decision}",
        statement=ballot.statement.number,
        reason=reason,
    )
    return Reply(
        text(f"Your {ballot.decision} of {ref} was not counted: {reason}"),
        ephemeral=True,
        is_error=True,
    )


async def _public_title(ctx: Ctx, incident: Incident) -> str:
    """An alert's wording is internal: an incident an alert opened is shown to the public
    under a neutral title until a person names it (`/incident rename`)."""
    if not is_system(incident.opened_by) or incident.id is None:
        return incident.title
    events = await ctx.uow.timeline.of_incident(incident.id)
    renamed = any(event.kind == "renamed" for event in events)
    return incident.title if renamed else PUBLIC_ALERT_TITLE


async def cast(ctx: Ctx, incident: Incident, ballot: Ballot) -> Reply:
    """Apply one vote (or its withdrawal) under the approval policy."""
    statement, ref = ballot.statement, statement_ref(ballot.statement.number)
    assert statement.id is not None and incident.id is not None
    if statement.state != StatementState.DRAFT:
        return await _ignore(ctx, incident, ballot, f"{ref} is already {statement.state}.")
    if ballot.revision != statement.revision:
        return await _ignore(
            ctx,
            incident,
            ballot,
            f"that was revision {ballot.revision}; {ref} is now at revision "
            f"{statement.revision}. Vote on the newest draft message.",
        )
    roles = await quorum.roles_of(ctx.uow, incident.id)
    policy = ctx.deps.approval
    eligible = policy.is_eligible(ctx.actor, roles, ctx.groups)
    if is_system(ctx.actor.user_id) or (not eligible and not permit.is_admin(ctx)):
        return await _ignore(
            ctx, incident, ballot, f"you are not an approver (approvers: {policy.describe()})."
        )
    if not ballot.added:
        withdrawn = await ctx.uow.statements.withdraw_vote(
            statement.id, statement.revision, ctx.actor.user_id, ballot.decision
        )
        if withdrawn:
            await ctx.note(
                incident,
                "vote_withdrawn",
                f"{ctx.actor.user_id} withdrew their {ballot.decision} of {ref}",
                statement=statement.number,
            )
            ctx.later(lambda: effects.refresh_draft(ctx.deps, statement.id or 0), "refresh draft")
            return Reply(text(f"Your {ballot.decision} of {ref} was withdrawn."), ephemeral=True)
        return Reply(text(f"You had no {ballot.decision} on {ref} to withdraw."), ephemeral=True)
    heard: Heard | None = None  # read below only for an approval
    if ballot.decision == APPROVE:
        if problems := _blocking(ctx, incident, statement):
            return await _ignore(
                ctx,
                incident,
                ballot,
                f"{ref} cannot be approved: {'; '.join(problems)}. Edit it first "
                f"(`/incident edit {ref} <text>`).",
            )
        if not ballot.pinned and (unseen := await approval_guards.unseen_change(ctx, statement)):
            return Reply(text(*unseen.split("\n")), ephemeral=True, is_error=True)
        # What the public has heard so far: what this approval must agree with, and what
        # the statement carries forward (read once for both).
        heard = Heard(public_facts.public_facts(await ctx.uow.statements.published_of(incident.id)))
        if untrue := approval_guards.untrue_now(ctx, incident, statement, heard.facts):
            return await _ignore(ctx, incident, ballot, f"{untrue}.")
    await ctx.uow.statements.set_vote(
        Approval(
            statement_id=statement.id,
            revision=statement.revision,
            user_id=ctx.actor.user_id,
            decision=ballot.decision,
            created_at=ctx.now,
        )
    )
    await ctx.note(
        incident,
        f"vote_{ballot.decision}",
        f"{ctx.actor.user_id} voted {ballot.decision} on {ref} (revision {statement.revision}, "
        f"via {ballot.source})",
        statement=statement.number,
        revision=statement.revision,
    )
    return await _tally(ctx, incident, statement, heard)


@dataclass(frozen=True)
class Heard:
    """What the public has heard of the incident, once read (``None``: nothing yet)."""

    facts: public_facts.PublicFacts | None


async def _tally(ctx: Ctx, incident: Incident, statement: Statement, heard: Heard | None) -> Reply:
    assert statement.id is not None and incident.id is not None
    ref = statement_ref(statement.number)
    policy = ctx.deps.approval
    votes = await ctx.uow.statements.votes(statement.id, statement.revision)
    # The draft message is redrawn from the rows at hand, as committed (no second read).
    known = (statement, incident, votes)
    ctx.later(lambda: effects.refresh_draft(ctx.deps, statement.id or 0, known), "refresh draft")
    if any(v.decision == REJECT for v in votes):
        await ctx.uow.statements.transition(
            statement.id, StatementState.DRAFT, StatementState.REJECTED
        )
        await ctx.note(
            incident,
            "statement_rejected",
            f"{ref} rejected",
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
    authors = set() if author_counts else await quorum.authors_of(ctx.uow, statement)
    counted = [v for v in votes if v.decision == APPROVE and v.user_id not in authors]
    needed = policy.quorum(incident.severity, unedited_template)
    if len(counted) < needed:
        note = " (the author's own vote does not count)" if ctx.actor.user_id in authors else ""
        gap = await quorum.gap_for_statement(ctx.deps, ctx.uow, incident, statement)
        return Reply(
            text(
                f"Vote recorded on {ref}: {len(counted)} of {needed} approvals{note}.",
                *([gap] if gap else []),
            ),
            ephemeral=True,
        )
    if heard is None:
        heard = Heard(public_facts.public_facts(await ctx.uow.statements.published_of(incident.id)))
    told = heard.facts
    if not await ctx.uow.statements.transition(
        statement.id,
        StatementState.DRAFT,
        StatementState.APPROVED,
        row=statement,
        approved_at=ctx.now,
        public_title=await _public_title(ctx, incident),
        signer=statement.signer or ctx.actor.name or ctx.actor.user_id,  # see create_statement
        public_severity=incident.severity,
        public_state=public_facts.carried_state(statement, incident, told),
        promised_next_update_at=promise_from(
            statement.body, statement.promised_next_update_at, ctx.now
        ),
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


def _blocking(ctx: Ctx, incident: Incident, statement: Statement) -> list[str]:
    """The checklist's blocking problems, and secrets in the other public fields."""
    problems = blocking_problems(statement.body, ctx.deps.checklist)
    for field, value in (("the title", incident.title), ("the signature", statement.signer)):
        problems += [f"{field} looks like it contains {kind}" for kind in secrets_in(value or "")]
    return problems


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
    if statement.state not in (StatementState.DRAFT, StatementState.REJECTED):
        raise NotAllowed(
            f"{statement_ref(statement.number)} is {statement.state}; it can no longer change.",
            "Draft a new statement (or a correction) instead.",
        )
