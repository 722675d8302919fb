"""A public Slack channel as a destination for approved statements.

Every post carries message metadata naming its delivery. A retry (the process may
have died after Slack accepted the post but before we recorded it) first looks
for that metadata in the channel's recent history, so a statement is never
posted twice.

A correction is posted the same way; then ``amend`` edits the original's post
(chat.update of its ts) to carry the "Corrected" note above its unchanged words.
Editing is idempotent, so a retry may simply edit again.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.platform import slack_error
from bot.slack.render import blocks, fallback_text
from commands import DeliveryFailed, Publication, amended_message, publication_message

EVENT_TYPE = "candor_delivery"
HISTORY_WINDOW = 100
POST_INTERVAL = 1.05  # seconds between posts to one channel (Slack: about 1 per second)


class _Pace:
    """Slack takes about one message per second per channel: space our posts to a channel
    that far apart, rather than post early and wait out a 429 (Retry-After + jitter)."""

    def __init__(self, interval: float = POST_INTERVAL) -> None:
        self._interval = interval
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def turn(self) -> None:
        async with self._lock:
            delay = self._next - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = time.monotonic() + self._interval


class SlackChannelDestination:
    def __init__(self, client: AsyncWebClient, channel_id: str) -> None:
        self.client, self.channel_id = client, channel_id
        self.key = f"slack:{channel_id}"
        self.label = f"Slack <#{channel_id}>"
        self._pace = _Pace()

    async def deliver(self, publication: Publication) -> str:
        try:
            if publication.attempt > 1:
                already = await self._already_posted(publication.delivery_id)
                if already is not None:
                    return already
            message = publication_message(publication)
            await self._pace.turn()
            response = await self.client.chat_postMessage(
                channel=self.channel_id,
                text=fallback_text(message),
                blocks=blocks(message),
                unfurl_links=False,
                unfurl_media=False,
                metadata={
                    "event_type": EVENT_TYPE,
                    "event_payload": {"delivery_id": publication.delivery_id},
                },
            )
        except SlackApiError as error:
            refused = slack_error(error)
            raise DeliveryFailed(refused.reason, retryable=refused.retryable) from error
        return str(response["ts"])

    async def amend(self, publication: Publication, original_external_id: str) -> None:
        message = amended_message(publication)
        try:
            await self.client.chat_update(
                channel=self.channel_id,
                ts=original_external_id,
                text=fallback_text(message),
                blocks=blocks(message),
            )
        except SlackApiError as error:
            refused = slack_error(error)
            raise DeliveryFailed(refused.reason, retryable=refused.retryable) from error

    async def _already_posted(self, delivery_id: int) -> str | None:
        try:
            response = await self.client.conversations_history(
                channel=self.channel_id, limit=HISTORY_WINDOW, include_all_metadata=True
            )
        except SlackApiError as error:
            # chat:write.public posts to a channel the bot is not in, but only a member can
            # read it: posting again blind could post twice, so say what unblocks it.
            if error.response.get("error") != "not_in_channel":
                raise
            raise DeliveryFailed(
                "an earlier attempt may have posted, and the bot cannot read the channel to "
                "check (invite the bot to it, then retry) [not_in_channel]",
                retryable=False,
            ) from error
        messages: list[dict[str, Any]] = response.get("messages", [])
        for message in messages:
            metadata: dict[str, Any] = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == EVENT_TYPE
                and payload.get("delivery_id") == delivery_id
            ):
                return str(message["ts"])
        return None
