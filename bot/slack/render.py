"""Neutral messages → Slack Block Kit and mrkdwn.

User text is escaped (``&``, ``<``, ``>``) so it can never form a ``<!channel>``,
``<!here>``, ``<!everyone>`` or ``<@U…>`` token: only the segments the core chose
(``Mention``, ``ChannelPing``) ping anyone.
"""

from __future__ import annotations

from typing import Any

from commands import ChannelPing, Line, Link, Mention, Message, Strong

SECTION_LIMIT = 3000  # Slack rejects longer section text


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(line: Line) -> str:
    parts: list[str] = []
    for segment in line:
        if isinstance(segment, str):
            parts.append(escape(segment))
        elif isinstance(segment, Mention):
            parts.append(f"<@{escape(segment.user_id)}>")
        elif isinstance(segment, ChannelPing):
            parts.append("<!here>")
        elif isinstance(segment, Strong):
            parts.append(f"*{escape(segment.text)}*" if segment.text.strip() else "")
        elif isinstance(segment, Link):
            parts.append(f"<{escape(segment.url)}|{escape(segment.label)}>")
    return "".join(parts)


def fallback_text(message: Message) -> str:
    """The notification / screen-reader text: mrkdwn, mentions kept, nothing else pinging."""
    lines = [escape(message.title)] if message.title else []
    lines.extend(mrkdwn(line) for line in message.lines)
    return "\n".join(lines)[:SECTION_LIMIT] or " "


def blocks(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if message.title:
        out.append(
            {
                "type": "header",
                "text": {"type": "plain_text", "text": message.title[:150], "emoji": True},
            }
        )
    chunk: list[str] = []
    for line in message.lines:
        chunk.append(mrkdwn(line))
    body = "\n".join(chunk).strip()
    while body:  # long statements span several sections
        piece, body = body[:SECTION_LIMIT], body[SECTION_LIMIT:]
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": piece}})
    if message.fields:
        out.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{escape(label)}*\n{escape(value)}"}
                    for label, value in message.fields[:10]
                ],
            }
        )
    if message.footer:
        out.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(message.footer)}]}
        )
    return out
