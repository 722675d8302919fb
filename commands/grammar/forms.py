"""Commands typed without the text a form would hold: the adapters open a form for them.

``/incident`` alone and ``open`` without a title open the open form; ``draft`` without
text the template picker with a text box; ``edit S6`` without text a form holding the
draft's current wording. Each may follow an ``INC-<n>``, except ``open``. What the form
submits is run through the Desk like the typed command, authority included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPEN, DRAFT, EDIT = "open", "draft", "edit"
_INCIDENT = re.compile(r"^inc-(\d{1,7})$", re.IGNORECASE)
_STATEMENT = re.compile(r"^[sS]?(\d{1,6})$")


@dataclass(frozen=True)
class FormAsk:
    verb: str  # OPEN, DRAFT or EDIT
    incident_number: int | None = None  # the INC-<n> the line named, if any
    statement_number: int | None = None  # EDIT: which draft
    template: str | None = None  # DRAFT: the template chosen in the form, to prefill

    @property
    def incident(self) -> str:
        """``INC-<n> `` as the grammar writes it before a verb ('' when implied)."""
        return f"INC-{self.incident_number} " if self.incident_number is not None else ""


def form_for(text: str) -> FormAsk | None:
    """The form a line asks for, or None when it is a command to run as typed."""
    words = text.split()
    if words[:1] and words[0].lower() == "/incident":
        words = words[1:]
    incident = None
    if words and (named := _INCIDENT.match(words[0])):
        incident, words = int(named.group(1)), words[1:]
    verbs = [w.lower() for w in words]
    if not verbs or verbs == [OPEN]:
        return FormAsk(OPEN) if incident is None else None
    if verbs == [DRAFT]:
        return FormAsk(DRAFT, incident)
    if len(verbs) == 2 and verbs[0] == EDIT and (number := _STATEMENT.match(words[1])):
        return FormAsk(EDIT, incident, int(number.group(1)))
    return None
