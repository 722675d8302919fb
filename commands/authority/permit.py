"""The authority check every command passes before its handler runs.

A refusal is a reply, not an exception, so that the unit of work still commits the
timeline line that records it: a team reviewing the incident sees who tried what.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from commands.approval.quorum import authors_of, roles_of
from commands.authority.rules import ANYONE, APPROVERS
from commands.context import Ctx
from commands.domain import COMMANDER, incident_ref
from commands.grammar import requests as rq
from commands.ports import Reply, text


async def _authors(ctx: Ctx, request: rq.Request) -> Collection[str]:
    if not isinstance(request, rq.EditStatement) or ctx.incident is None:
        return ()
    assert ctx.incident.id is not None
    statement = await ctx.uow.statements.by_number(ctx.incident.id, request.number)
    return await authors_of(ctx.uow, statement) if statement is not None else ()


def _takes_command(request: rq.Request, roles: Mapping[str, str]) -> bool:
    return (
        isinstance(request, rq.AssignRole) and request.role == COMMANDER and COMMANDER not in roles
    )


def is_admin(ctx: Ctx) -> bool:
    return ctx.deps.authority.is_admin(ctx.actor, ctx.groups)


async def refusal(ctx: Ctx, request: rq.Request, verb: str) -> Reply | None:
    """None when the actor may run ``request`` (the verb ``verb``) here; else the refusal,
    on the timeline."""
    policy = ctx.deps.authority
    who = policy.who(verb)
    if (ANYONE in who or APPROVERS in who) and not isinstance(request, rq.AssignRole):
        return None  # approvals are judged vote by vote, with the ballot on the timeline
    incident = ctx.incident
    roles = await roles_of(ctx.uow, incident.id) if incident and incident.id else {}
    if _takes_command(request, roles) and incident is not None:
        return None  # nobody commands (an alert opened it): whoever takes command first
    self_grant = (
        isinstance(request, rq.AssignRole)
        and request.user_id == ctx.actor.user_id
        and roles.get(request.role) != ctx.actor.user_id  # "already is": the handler says so
    )
    allowed = policy.holds(verb, ctx.actor, roles, await _authors(ctx, request))
    if allowed and not self_grant:
        return None
    if is_admin(ctx):
        return None
    if self_grant:
        problem = "Nobody grants themselves a role."
        fix = f"Ask whoever may assign roles ({policy.describe('assign')}) to do it."
    else:
        where = f" on {incident_ref(incident.number)}" if incident else ""
        problem = f"Only {policy.describe(verb)} may `{verb}`{where}."
        named = set(policy.who(verb))  # only people who may: not every role holder
        holders = ", ".join(
            f"{role}: {user}" for role, user in sorted(roles.items()) if role in named
        )
        fix = f"Ask one of them ({holders})." if holders else "Ask an admin."
    if incident is not None and incident.id is not None:
        await ctx.uow.timeline.add_or_count(
            incident.id,
            ctx.now,
            "refused",
            f"`{verb}` by {ctx.actor.user_id} refused: {problem}",
            actor_id=ctx.actor.user_id,
            key=f"{verb}:{problem}",
            verb=verb,
        )
    return Reply(text(problem, fix), ephemeral=True, is_error=True)
