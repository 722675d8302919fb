"""The modals: open an incident, draft a statement, edit a draft. Built and read here only.

The draft modal's template picker dispatches its choice at once (``TEMPLATE_ACTION``):
the modal is updated with the template's text in the box, to edit before sending. A
text input keeps what was typed across updates unless its block id changes, so the box
is re-made under ``text:<template>`` each time a template fills it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from commands import DEFAULT_SEVERITY, SEVERITIES, TEMPLATE_NAMES, TITLE_MAX

OPEN_CALLBACK = "candor_open"
DRAFT_CALLBACK = "candor_draft"
EDIT_CALLBACK = "candor_edit"
TEMPLATE_ACTION = "candor_template"
TEXT_MAX = 3000  # the core's STATEMENT_MAX


def fingerprint(text: str) -> str:
    """A short hash of a template's filled-in text: unchanged on submit, it is sent as the
    template (keeping its pre-approval); edited, as the person's own words."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def _input(
    block_id: str, label: str, element: dict[str, Any], optional: bool = False
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {**element, "action_id": "value"},
    }


def open_view(channel_id: str, title: str = "") -> dict[str, Any]:
    severities = [_option(s, s.upper()) for s in SEVERITIES]
    return {
        "type": "modal",
        "callback_id": OPEN_CALLBACK,
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": "Open an incident"},
        "submit": {"type": "plain_text", "text": "Open"},
        "blocks": [
            _input(
                "title",
                "What is wrong?",
                {
                    "type": "plain_text_input",
                    "max_length": TITLE_MAX,
                    "initial_value": title,
                    "placeholder": {"type": "plain_text", "text": "Payments failing"},
                },
            ),
            _input(
                "severity",
                "Severity",
                {
                    "type": "static_select",
                    "options": severities,
                    "initial_option": _option(DEFAULT_SEVERITY, DEFAULT_SEVERITY.upper()),
                },
            ),
            _input(
                "description",
                "What do we know so far?",
                {"type": "plain_text_input", "multiline": True, "max_length": 3000},
                optional=True,
            ),
            _input(
                "commander",
                "Incident commander (default: you)",
                {"type": "users_select"},
                optional=True,
            ),
        ],
    }


def draft_view(
    channel_id: str, incident: str = "", template: str | None = None, text: str = ""
) -> dict[str, Any]:
    """``incident`` is the ``INC-<n>`` the command named ('' inside an incident channel);
    ``template`` and ``text``: the template picked and its text, filled in to edit."""
    templates = [_option(name, name) for name in TEMPLATE_NAMES]
    picker: dict[str, Any] = {"type": "static_select", "options": templates}
    if template in TEMPLATE_NAMES:
        picker["initial_option"] = _option(template, template)
    metadata = " ".join(
        part for part in (channel_id, incident, f"#{fingerprint(text)}" if template else "") if part
    )
    box: dict[str, Any] = {"type": "plain_text_input", "multiline": True, "max_length": TEXT_MAX}
    if text:
        box["initial_value"] = text[:TEXT_MAX]
    picked = _input("template", "Start from a template (its text appears below)", picker, True)
    picked["dispatch_action"] = True  # a choice is sent at once, to fill the box
    picked["element"]["action_id"] = TEMPLATE_ACTION
    return {
        "type": "modal",
        "callback_id": DRAFT_CALLBACK,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Draft a statement"},
        "submit": {"type": "plain_text", "text": "Draft"},
        "blocks": [
            picked,
            _input(
                f"text:{template}" if template else "text",
                "The statement (edit it as you like)" if template else "…or write it",
                box,
                optional=True,
            ),
        ],
    }


def draft_metadata(metadata: str) -> tuple[str, str, str | None]:
    """(channel id, ``INC-<n>`` or '', the filled-in template's fingerprint or None)."""
    channel_id, *rest = metadata.split()
    incident = next((p for p in rest if p.upper().startswith("INC-")), "")
    mark = next((p[1:] for p in rest if p.startswith("#")), None)
    return channel_id, incident, mark


def edit_view(
    channel_id: str, incident: str, statement: str, revision: int, text: str
) -> dict[str, Any]:
    """A draft's current wording in a box to edit (``/incident edit S6`` with no text)."""
    return {
        "type": "modal",
        "callback_id": EDIT_CALLBACK,
        "private_metadata": f"{channel_id} {incident} {statement}",
        "title": {"type": "plain_text", "text": f"Edit {statement}"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            _input(
                "text",
                f"{statement} of {incident}, revision {revision}",
                {
                    "type": "plain_text_input",
                    "multiline": True,
                    "max_length": TEXT_MAX,
                    "initial_value": text[:TEXT_MAX],
                },
            ),
        ],
    }


def incident_number(incident: str) -> int | None:
    """``INC-4`` → 4; '' (implied by the channel) → None."""
    digits = incident.upper().removeprefix("INC-")
    return int(digits) if digits.isdigit() else None


def text_block_id(view: dict[str, Any]) -> str:
    """The block id of a draft modal's text box (``text`` or ``text:<template>``)."""
    ids = [b.get("block_id", "") for b in view.get("blocks", [])]
    ids += list(view.get("state", {}).get("values", {}))
    return next((i for i in ids if i.startswith("text")), "text")


def values(view: dict[str, Any]) -> dict[str, str]:
    """Flatten a submitted view's state to block_id → value ('' when empty)."""
    flat: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        element: dict[str, Any] = next(iter(actions.values()), {}) if actions else {}
        block_id = block_id.partition(":")[0]  # "text:ack" is the box a template filled
        selected = element.get("selected_option") or {}
        flat[block_id] = (
            element.get("value") or selected.get("value") or element.get("selected_user") or ""
        )
    return flat
