"""Which platform groups a person is in, asked before a unit of work opens.

APPROVERS and ADMINS may name groups (a Slack user group, a Discord role); whether a
person is in one is a question to the platform, over the network. Asked inside the
transaction, a slow platform held the database: with Slack answering in 3 s every
other command waited 3 s too (SQLite's one writer; on PostgreSQL the incident's row
lock). So the Desk asks first, and the checks inside read the answer: for a vote, and
for a verb not everyone may run (ADMINS may name groups); never for the rest.
"""

from __future__ import annotations

from commands.context import Deps
from commands.ports import Actor


async def groups_of(deps: Deps, actor: Actor, workspace_id: str) -> frozenset[str]:
    """The groups named in APPROVERS or ADMINS (on the person's platform) they are in;
    no question at all when none is named."""
    named = sorted(
        {
            spec.value
            for spec in (*deps.approval.approvers, *deps.authority.admins)
            if spec.kind == "group" and spec.platform == actor.platform
        }
    )
    if not named:
        return frozenset()
    chat = deps.chat(actor.platform)
    return frozenset(
        [group for group in named if await chat.in_group(workspace_id, actor.user_id, group)]
    )
