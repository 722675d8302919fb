"""Modals for long texts on Discord: open an incident, draft a statement, edit a draft.

``/incident open`` without a title, ``draft`` with neither template nor text, and
``edit`` without text answer with a modal instead of a usage error. What a modal
submits becomes the grammar's line (or, for ``open``, its request) and runs through the
Responder like the typed subcommand: the same authority rule, the same checks, the
same answer. Line breaks typed in a paragraph box are kept. Each modal keeps discord.py's
random custom_id: its store finds a submitted modal by that id alone, so two people's
forms open at once must never share one.

Discord cannot change a modal while it is open, so the draft modal cannot fill its box
when a template is picked (Slack's can): a picked template is drafted as it is, and
``edit`` opens any draft's wording in a modal to change it.
"""

from __future__ import annotations

import discord

from bot.discord.interactions import Responder
from commands import (
    DEFAULT_SEVERITY,
    SEVERITIES,
    TEMPLATE_NAMES,
    TITLE_MAX,
    Command,
    FormText,
    open_request,
)

TEXT_MAX = 3000  # the core's STATEMENT_MAX (Discord allows 4000)
PARAGRAPH = discord.TextStyle.paragraph


Box = discord.ui.TextInput["discord.ui.Modal"]


def _choice(
    values: tuple[str, ...], custom_id: str, default: str | None
) -> discord.ui.Select[discord.ui.Modal]:
    options = [
        discord.SelectOption(
            label=v.upper() if v in SEVERITIES else v, value=v, default=v == default
        )
        for v in values
    ]
    return discord.ui.Select(
        custom_id=custom_id, options=options, required=default is not None, min_values=0
    )


class OpenForm(discord.ui.Modal, title="Open an incident"):
    def __init__(self, responder: Responder, needs: discord.Permissions) -> None:
        super().__init__()
        self.responder, self.needs = responder, needs
        self.title_box: Box = discord.ui.TextInput(
            label="What is wrong?", custom_id="title", max_length=TITLE_MAX
        )
        self.severity = _choice(SEVERITIES, "severity", DEFAULT_SEVERITY)
        self.description: Box = discord.ui.TextInput(
            label="What do we know so far?",
            custom_id="description",
            style=PARAGRAPH,
            required=False,
            max_length=3000,
        )
        self.add_item(self.title_box)
        self.add_item(discord.ui.Label(text="Severity", component=self.severity))
        self.add_item(self.description)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        severity = (self.severity.values or [DEFAULT_SEVERITY])[0]

        def build() -> Command:
            return Command(open_request(self.title_box.value, severity, self.description.value))

        await self.responder.run(interaction, "open", build, needs=self.needs)


class DraftForm(discord.ui.Modal, title="Draft a statement"):
    def __init__(self, responder: Responder, incident: str) -> None:
        super().__init__()
        self.responder, self.incident = responder, incident
        self.template = _choice(TEMPLATE_NAMES, "template", None)
        self.text: Box = discord.ui.TextInput(
            label="…or write it",
            custom_id="text",
            style=PARAGRAPH,
            required=False,
            max_length=TEXT_MAX,
        )
        self.add_item(discord.ui.Label(text="Start from a template", component=self.template))
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        words = self.text.value.strip() or (self.template.values or [""])[0]
        await self.responder.run(interaction, "draft", f"{self.incident}draft {words}".strip())


class EditForm(discord.ui.Modal, title="Edit a draft"):
    def __init__(self, responder: Responder, found: FormText) -> None:
        super().__init__()
        self.responder, self.found = responder, found
        self.title = f"Edit {found.statement} of {found.incident}"[:45]
        self.text: Box = discord.ui.TextInput(
            label=f"Revision {found.revision} (yours replaces it)"[:45],
            custom_id="text",
            style=PARAGRAPH,
            default=found.text[:TEXT_MAX],
            max_length=TEXT_MAX,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        found = self.found
        line = f"{found.incident} edit {found.statement} {self.text.value}"
        await self.responder.run(interaction, "edit", line)
