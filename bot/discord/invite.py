"""Exactly what the bot asks for when a server admin invites it (README, start-up log)."""

from __future__ import annotations

from urllib.parse import urlencode

import discord

SCOPES = ("bot", "applications.commands")

PERMISSIONS = discord.Permissions(
    view_channel=True,  # see the incident channels and public channels it posts to
    manage_channels=True,  # create the "Incidents" category and a channel per incident
    manage_roles=True,  # give owners access to channels in a private category
    send_messages=True,
    embed_links=True,  # summaries, drafts and statements are embeds
    add_reactions=True,  # seed ✅ and ❌ on drafts
    read_message_history=True,  # find an earlier post before retrying a publication
    mention_everyone=True,  # @here when a public update is overdue (escalation only)
    pin_messages=True,  # pin the incident summary
)


def invite_url(application_id: int) -> str:
    query = urlencode(
        {
            "client_id": application_id,
            "scope": " ".join(SCOPES),
            "permissions": PERMISSIONS.value,
            "integration_type": 0,
        }
    )
    return f"https://discord.com/oauth2/authorize?{query}"
