"""What a form opens with: a draft's current wording (``edit S6``), or a template's text
filled in for the incident (``draft``, once a template is picked), so a person edits
words instead of retyping them. Read under the same authority as the verb itself."""

from __future__ import annotations

from dataclasses import dataclass

from commands.approval.votes import find_statement, refuse_unless_draft
from commands.context import Ctx
from commands.domain import incident_ref, statement_ref
from commands.errors import UsageError
from commands.grammar import requests as rq
from commands.grammar.forms import DRAFT, EDIT, FormAsk
from commands.handlers.statements import template_body


@dataclass(frozen=True)
class FormText:
    text: str = ""
    incident: str = ""  # "INC-4": the incident the form is about
    statement: str | None = None  # EDIT: "S6"
    revision: int | None = None  # EDIT: the revision the text is of


def request_of(ask: FormAsk) -> rq.Request:
    """The request the form stands for, for the authority check."""
    if ask.verb == EDIT:
        return rq.EditStatement(ask.statement_number or 0, "")
    return rq.DraftStatement(template=ask.template)


async def prefill(ctx: Ctx, ask: FormAsk) -> FormText:
    incident = ctx.need_incident()
    ref = incident_ref(incident.number)
    if ask.verb == EDIT and ask.statement_number is not None:
        statement = await find_statement(ctx, incident, ask.statement_number)
        refuse_unless_draft(statement)
        return FormText(statement.body, ref, statement_ref(statement.number), statement.revision)
    if ask.verb == DRAFT and ask.template:
        if ask.template not in ctx.deps.templates:
            raise UsageError(
                f"There is no template `{ask.template[:40]}`.",
                f"Templates: {', '.join(ctx.deps.templates)}.",
            )
        return FormText(template_body(ctx, incident, ask.template), ref)
    return FormText(incident=ref)
