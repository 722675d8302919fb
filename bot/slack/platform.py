"""SlackChat: the ChatPlatform port over the Slack Web API (slack_sdk AsyncWebClient)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.render import blocks, fallback_text
from commands import ChatError, Message, MessageRef, NewChannel

GROUP_CACHE_SECONDS = 60.0

# Slack error codes → what a person can do about them.
READABLE = {
    "channel_not_found": "the channel does not exist or the bot cannot see it",
    "not_in_channel": "the bot is not in that channel (invite it, or make the channel public)",
    "is_archived": "the channel is archived",
    "missing_scope": "the Slack app lacks a permission (reinstall it from the manifest)",
    "restricted_action": "a workspace admin restricts this action",
    "invalid_auth": "SLACK_BOT_TOKEN was rejected",
    "not_authed": "SLACK_BOT_TOKEN is missing",
    "account_inactive": "the bot user was deactivated",
    "ratelimited": "Slack rate-limited the bot",
    "msg_too_long": "the message is too long for Slack",
}
RETRYABLE = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


def slack_error(error: SlackApiError) -> ChatError:
    status = error.response.status_code
    if status >= 500 and not error.response.get("error"):  # an HTML page from Slack's edge
        return ChatError(f"Slack answered HTTP {status} [server_error]", retryable=True)
    code = str(error.response.get("error", "unknown_error"))
    needed = error.response.get("needed")
    reason = READABLE.get(code, code)
    if needed:
        reason += f" (needs {needed})"
    return ChatError(f"{reason} [{code}]", retryable=code in RETRYABLE)


class SlackChat:
    name = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}

    async def _call(self, method: str, **args: Any) -> Any:
        """Call a Web API method through slack_sdk's typed wrapper (it encodes each right)."""
        try:
            return await getattr(self.client, method.replace(".", "_"))(**args)
        except SlackApiError as error:
            raise slack_error(error) from error

    async def create_channel(self, workspace_id: str, name: str, topic: str) -> NewChannel:
        candidate = name
        for attempt in range(2, 12):
            try:
                response = await self.client.conversations_create(name=candidate)
            except SlackApiError as error:
                if error.response.get("error") != "name_taken":
                    raise slack_error(error) from error
                suffix = f"-{attempt}"
                candidate = f"{name[: 80 - len(suffix)]}{suffix}"
                continue
            channel = response["channel"]
            await self.set_topic(channel["id"], topic)
            return NewChannel(channel["id"], channel["name"])
        raise ChatError(f"every channel name like #{name} is taken; archive old ones")

    async def invite(self, channel_id: str, user_ids: Sequence[str]) -> None:
        users = [u for u in user_ids if u]
        if not users:
            return
        try:
            await self.client.conversations_invite(channel=channel_id, users=",".join(users))
        except SlackApiError as error:
            if error.response.get("error") not in ("already_in_channel", "cant_invite_self"):
                raise slack_error(error) from error

    async def set_topic(self, channel_id: str, topic: str) -> None:
        await self._call("conversations.setTopic", channel=channel_id, topic=topic[:250])

    async def post(self, channel_id: str, message: Message) -> MessageRef:
        response = await self._call(
            "chat.postMessage",
            channel=channel_id,
            text=fallback_text(message),
            blocks=blocks(message),
            unfurl_links=False,
            unfurl_media=False,
        )
        return MessageRef(response["channel"], response["ts"])

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self._call(
            "chat.update",
            channel=ref.channel_id,
            ts=ref.message_id,
            text=fallback_text(message),
            blocks=blocks(message),
        )

    async def pin(self, ref: MessageRef) -> None:
        try:
            await self.client.pins_add(channel=ref.channel_id, timestamp=ref.message_id)
        except SlackApiError as error:
            if error.response.get("error") != "already_pinned":
                raise slack_error(error) from error

    async def add_reactions(self, ref: MessageRef, emojis: Sequence[str]) -> None:
        for emoji in emojis:
            try:
                await self.client.reactions_add(
                    channel=ref.channel_id, timestamp=ref.message_id, name=emoji
                )
            except SlackApiError as error:
                if error.response.get("error") != "already_reacted":
                    raise slack_error(error) from error

    async def notify(self, channel_id: str, user_id: str, message: Message) -> None:
        await self._call(
            "chat.postEphemeral",
            channel=channel_id,
            user=user_id,
            text=fallback_text(message),
            blocks=blocks(message),
        )

    async def in_group(self, workspace_id: str, user_id: str, group_id: str) -> bool:
        """User groups are cached briefly: a vote should not cost an API call each time."""
        cached = self._groups.get(group_id)
        if cached is None or time.monotonic() - cached[0] > GROUP_CACHE_SECONDS:
            response = await self._call("usergroups.users.list", usergroup=group_id)
            cached = (time.monotonic(), frozenset(response.get("users", [])))
            self._groups[group_id] = cached
        return user_id in cached[1]
