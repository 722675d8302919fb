"""The fake workspace behind FakeSlack: channels, their messages, pins and reactions,
users, user groups and views. Operations raise `SlackError(code)` with the error code
the real Web API answers in the same situation."""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.slack_payloads import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID

CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")
MAX_CHANNEL_NAME = 80
# Keys kept on stored messages for tests but not part of Slack's message object.
PRIVATE_KEYS = ("unfurl_links", "unfurl_media")


class SlackError(Exception):
    """An `ok: false` answer; `extra` lands next to `error` in the response."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    members: set[str] = field(default_factory=set)
    topic: dict[str, Any] = field(
        default_factory=lambda: {"value": "", "creator": "", "last_set": 0}
    )
    created: int = field(default_factory=lambda: int(time.time()))
    creator: str = BOT_USER_ID
    is_im: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        """The conversation object as seen by the bot."""
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private and not self.is_im,
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "creator": self.creator,
            "is_archived": self.is_archived,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "pending_shared": [],
            "is_pending_ext_shared": False,
            "is_member": BOT_USER_ID in self.members,
            "last_read": "0000000000.000000",
            "topic": dict(self.topic),
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
            "num_members": len(self.members),
            "priority": 0,
        }

    def message(self, ts: str) -> dict[str, Any]:
        for message in self.messages:
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")


def validate_channel_name(name: str) -> None:
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > MAX_CHANNEL_NAME:
        raise SlackError("invalid_name_maxlength")
    if not CHANNEL_NAME.fullmatch(name):
        raise SlackError("invalid_name_specials")
    if not name.strip("-_"):
        raise SlackError("invalid_name_punctuation")


def public_message(message: dict[str, Any], *, include_metadata: bool) -> dict[str, Any]:
    """A stored message as the Web API returns it."""
    shown = {k: v for k, v in message.items() if k not in PRIVATE_KEYS}
    if not include_metadata:
        shown.pop("metadata", None)
    return shown


@dataclass
class Workspace:
    team_id: str = TEAM_ID
    channels: dict[str, Channel] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    home_views: dict[str, str] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    first_ts_micros: int = 1_700_000_000_000_100
    _ts: itertools.count[int] = field(default_factory=itertools.count)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- identifiers -------------------------------------------------------

    def next_ts(self) -> str:
        """Message timestamps: strictly increasing, 100 µs apart, Slack's format."""
        micros = self.first_ts_micros + 100 * next(self._ts)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_id(self, prefix: str) -> str:
        while True:
            candidate = f"{prefix}{next(self._ids):04d}"
            if candidate not in self.channels and candidate not in self.views:
                return candidate

    # -- channels ----------------------------------------------------------

    def add_channel(self, channel: Channel) -> Channel:
        self.channels[channel.id] = channel
        return channel

    def channel(self, ref: str | None) -> Channel:
        """By id, `#name` or name; a user id opens (or reuses) the DM with that user."""
        if not ref:
            raise SlackError("channel_not_found")
        if ref in self.channels:
            return self.channels[ref]
        if ref[0] in "UW" and ref in self.users:
            dm_id = "D" + ref[1:]
            dm = Channel(dm_id, ref, is_private=True, is_im=True, members={ref, BOT_USER_ID})
            return self.channels.setdefault(dm_id, dm)
        found = self.by_name(ref.removeprefix("#"))
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def create_channel(self, name: str, *, is_private: bool) -> Channel:
        validate_channel_name(name)
        if self.by_name(name) is not None:
            raise SlackError("name_taken")
        channel = Channel(self.new_id("C"), name, is_private=is_private, members={BOT_USER_ID})
        return self.add_channel(channel)

    # -- messages ----------------------------------------------------------

    def store_message(self, channel: Channel, fields: dict[str, Any], user: str) -> dict[str, Any]:
        ts = self.next_ts()
        message: dict[str, Any] = {"type": "message", "user": user, "ts": ts, "team": self.team_id}
        if user == BOT_USER_ID:
            message.update(bot_id=BOT_ID, app_id=APP_ID, bot_profile=self.bot_profile())
        message.update({k: v for k, v in fields.items() if v is not None})
        channel.messages.append(message)
        return message

    def history(
        self, channel: Channel, *, latest: str | None, oldest: str | None, inclusive: bool
    ) -> list[dict[str, Any]]:
        """Top-level messages (thread replies stay in their thread), newest first."""

        def in_window(ts: str) -> bool:
            key = float(ts)
            if latest and (key > float(latest) or (key == float(latest) and not inclusive)):
                return False
            return not (
                oldest and (key < float(oldest) or (key == float(oldest) and not inclusive))
            )

        top = [m for m in channel.messages if m.get("thread_ts", m["ts"]) == m["ts"]]
        return [m for m in reversed(top) if in_window(m["ts"])]

    def bot_profile(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "app_id": APP_ID,
            "name": "Candor",
            "icons": {"image_48": "https://example.invalid/candor_48.png"},
            "deleted": False,
            "updated": 1700000000,
            "team_id": self.team_id,
        }

    # -- users -------------------------------------------------------------

    def add_user(self, user_id: str, name: str, **profile: Any) -> dict[str, Any]:
        real_name = profile.pop("real_name", name.title())
        is_bot = bool(profile.pop("is_bot", False))
        tz = profile.pop("tz", "Europe/London")
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": tz,
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": {
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": profile.pop("display_name", name),
                "display_name_normalized": name,
                "email": profile.pop("email", f"{name}@example.invalid"),
                "image_72": "https://example.invalid/avatar_72.png",
                "team": self.team_id,
                **profile,
            },
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }
        self.users[user_id] = user
        return user
