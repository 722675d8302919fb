"""discord.py exceptions → reasons a person can act on (``ChatError`` / ``DeliveryFailed``)."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import discord

from commands import ChatError, DeliveryFailed

# Discord JSON error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
READABLE = {
    10003: "the channel does not exist or the bot cannot see it",
    10004: "the bot is not in that server",
    10007: "that person is not a member of the server",
    10008: "the message no longer exists",
    10013: "unknown user",
    50001: "the bot cannot see that channel (give its role View Channel there)",
    50007: "that person does not accept direct messages from the bot",
    50013: "the bot lacks a permission in that channel (see the README's invite URL)",
    50024: "that action is not possible on this kind of channel",
    30013: "the server has too many channels (500); delete or archive old ones",
    40033: "the message was already published to following servers",
}


def discord_error(error: Exception) -> ChatError:
    """Any failure talking to Discord, stated so it can be fixed; ``retryable`` when waiting
    and trying again could work (rate limits, Discord's own 5xx, network errors)."""
    if isinstance(error, discord.RateLimited):
        return ChatError(
            f"Discord rate-limited the bot; try again in {error.retry_after:.0f} s [429]",
            retryable=True,
        )
    if isinstance(error, discord.DiscordServerError):
        return ChatError(f"Discord answered HTTP {error.status} [server_error]", retryable=True)
    if isinstance(error, discord.HTTPException):
        reason = READABLE.get(error.code) or (error.text or f"HTTP {error.status}").splitlines()[0]
        return ChatError(f"{reason} [{error.code or error.status}]", retryable=error.status == 429)
    if isinstance(error, aiohttp.ClientError | TimeoutError | OSError):
        return ChatError(f"could not reach Discord ({type(error).__name__})", retryable=True)
    return ChatError(str(error) or type(error).__name__)


def delivery_failed(error: Exception) -> DeliveryFailed:
    refused = discord_error(error)
    retry_after = None
    if isinstance(error, discord.RateLimited):
        retry_after = timedelta(seconds=error.retry_after)
    return DeliveryFailed(refused.reason, retryable=refused.retryable, retry_after=retry_after)


# What the adapter catches around a Discord call.
DISCORD_ERRORS = (discord.DiscordException, aiohttp.ClientError, TimeoutError, OSError)
