"""Statement templates. Wording follows CRISIS-COMMS.md: own it, say what users
should do, always give the next update time.

``preapproved`` templates were reviewed in advance: unedited, they need one
eligible approver, who may be their author, so an acknowledgement can go out
within a minute of opening.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    name: str
    kind: str
    body: str
    preapproved: bool = False


_DEFAULTS = (
    Template(
        "ack",
        "ack",
        "We are aware of an issue affecting {title} and are investigating. We're sorry for "
        "the disruption. You don't need to do anything right now; we will tell you here if "
        "that changes. Next update by {next_update}.",
        preapproved=True,
    ),
    Template(
        "holding",
        "update",
        "We are still working on the issue affecting {title}. There is nothing new to share "
        "yet, but the team is on it and we are sorry it is taking this long. Next update by "
        "{next_update}.",
        preapproved=True,
    ),
    Template(
        "investigating",
        "update",
        "We are investigating an issue affecting {title}. Some of you may see errors or "
        "delays. If an action fails, please try again later; you don't need to change "
        "anything. We're sorry for the trouble. Next update by {next_update}.",
    ),
    Template(
        "identified",
        "update",
        "We have found the cause of the issue affecting {title} and are working on a fix. "
        "Until it is in place you may still see errors; please try again later if an action "
        "fails. We're sorry for the disruption. Next update by {next_update}.",
    ),
    Template(
        "monitoring",
        "update",
        "A fix for the issue affecting {title} is in place and we are watching to make sure "
        "it holds. If you still see problems, please try again and let us know. "
        "Next update by {next_update}.",
    ),
    Template(
        "resolved",
        "resolution",
        "The issue affecting {title} is resolved and everything is working normally again. "
        "We're sorry for the disruption it caused. {summary}You don't need to do anything. "
        "We will publish a summary of what happened and how we will prevent it.",
    ),
)
DEFAULT_TEMPLATES: Mapping[str, Template] = {t.name: t for t in _DEFAULTS}
TEMPLATE_NAMES = tuple(DEFAULT_TEMPLATES)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: Template, **values: str) -> str:
    """Fill placeholders; unknown ones stay visible so the checklist can flag them."""
    return template.body.format_map(_Blank(values)).strip()
