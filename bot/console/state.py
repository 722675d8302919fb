"""What the console keeps between runs, beside the database it ran on.

The record (incidents, statements, votes) is in the database; the console's own chat is
not: its channels, their members and messages, where you were and as whom. Kept in a JSON
file so that ``:channel inc-2-…`` and ``:react ✅ S3`` still work after a restart, and so
that message numbers go on from where they were (a reaction finds its draft by channel
and message number: a second ``m3`` in the same channel would find the wrong one).

Files, for ``DATABASE_URL=sqlite+aiosqlite:///./candor.db``: ``./candor.db-console.json``
(this state) and ``./candor.db-console-history`` (the lines typed, for Up and Ctrl-R).
For PostgreSQL they are under ``$XDG_DATA_HOME/candor/`` (``~/.local/share/candor/``),
named after the database.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.console.platform import Channel, ConsoleChat, Posted, render
from commands import Message
from storage import sqlite_path

log = logging.getLogger("candor.console")


@dataclass(frozen=True)
class ConsoleFiles:
    state: Path
    history: Path


def files_for(database_url: str) -> ConsoleFiles:
    database = sqlite_path(database_url)
    if database is not None:
        return ConsoleFiles(
            database.with_name(database.name + "-console.json"),
            database.with_name(database.name + "-console-history"),
        )
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    name = database_url.rsplit("/", 1)[-1].split("?")[0] or "candor"
    return ConsoleFiles(
        data_home / "candor" / f"{name}-console.json",
        data_home / "candor" / f"{name}-console-history",
    )


@dataclass
class Whereabouts:
    """Who is typing where."""

    user: str = "you"
    channel: str = "general"


def _posted(entry: dict[str, Any]) -> Posted:
    lines = tuple((line,) for line in entry.get("lines", []))
    return Posted(str(entry["id"]), Message(lines=lines, title=entry.get("title")))


def load(path: Path, chat: ConsoleChat) -> Whereabouts:
    """Restore the chat saved at ``path`` into ``chat``; where the person was."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        for entry in saved["channels"]:
            channel = Channel(
                entry["name"],
                topic=entry.get("topic", ""),
                members=set(entry.get("members", [])),
                messages=[_posted(m) for m in entry.get("messages", [])],
                pins=list(entry.get("pins", [])),
            )
            chat.channels[channel.name] = channel
        chat.continue_numbering(int(saved.get("next_message", 1)))
        where = Whereabouts(saved.get("user", "you"), saved.get("channel", "general"))
    except FileNotFoundError:
        return Whereabouts()
    except (OSError, ValueError, KeyError, TypeError) as error:  # a damaged file: start afresh
        log.warning("console state %s unreadable (%s): starting with fresh channels", path, error)
        return Whereabouts()
    if where.channel not in chat.channels:
        where.channel = "general"
    return where


def _message(posted: Posted) -> dict[str, Any]:
    body = render(posted.message).split("\n")
    if posted.message.title:
        body = body[1:]  # the title is kept on its own
    return {"id": posted.message_id, "title": posted.message.title, "lines": body}


def save(path: Path, chat: ConsoleChat, where: Whereabouts) -> None:
    """Write the chat to ``path`` (a new file renamed over the old: never half-written)."""
    state = {
        "user": where.user,
        "channel": where.channel,
        "next_message": chat.next_number,
        "channels": [
            {
                "name": channel.name,
                "topic": channel.topic,
                "members": sorted(channel.members),
                "pins": channel.pins,
                "messages": [_message(posted) for posted in channel.messages],
            }
            for channel in chat.channels.values()
        ],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        # the chat holds drafts not yet public: readable by its owner only
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(json.dumps(state, ensure_ascii=False))
        partial.replace(path)
    except OSError as error:  # the console goes on; only the next run starts afresh
        log.warning("console state not saved to %s: %s", path, error)
