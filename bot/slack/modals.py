"""The two modals: open an incident, draft a statement. Built and read here only."""

from __future__ import annotations

from typing import Any

from commands import DEFAULT_SEVERITY, SEVERITIES, TEMPLATE_NAMES, TITLE_MAX

OPEN_CALLBACK = "candor_open"
DRAFT_CALLBACK = "candor_draft"


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


def draft_view(channel_id: str, incident: str = "") -> dict[str, Any]:
    """``incident`` is the ``INC-<n>`` the command named ('' inside an incident channel)."""
    templates = [_option(name, name) for name in TEMPLATE_NAMES]
    return {
        "type": "modal",
        "callback_id": DRAFT_CALLBACK,
        "private_metadata": f"{channel_id} {incident}".strip(),
        "title": {"type": "plain_text", "text": "Draft a statement"},
        "submit": {"type": "plain_text", "text": "Draft"},
        "blocks": [
            _input(
                "template",
                "Start from a template",
                {"type": "static_select", "options": templates},
                optional=True,
            ),
            _input(
                "text",
                "…or write it",
                {"type": "plain_text_input", "multiline": True, "max_length": 3000},
                optional=True,
            ),
        ],
    }


def values(view: dict[str, Any]) -> dict[str, str]:
    """Flatten a submitted view's state to block_id → value ('' when empty)."""
    flat: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        element = actions.get("value", {})
        selected = element.get("selected_option") or {}
        flat[block_id] = (
            element.get("value") or selected.get("value") or element.get("selected_user") or ""
        )
    return flat
