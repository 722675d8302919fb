"""A public chat channel as a destination, through the ChatPlatform port."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from commands.ports import (
    ChatError,
    ChatPlatform,
    DeliveryFailed,
    Line,
    Message,
    MessageRef,
    Publication,
    Strong,
)
from commands.secrets import redact_url, redact_urls

KIND_LABELS = {
    "ack": "Investigating",
    "update": "Update",
    "resolution": "Resolved",
    "postmortem": "Post-incident summary",
    "correction": "Correction",
}


def key_label(key: str) -> str:
    """A ``PUBLIC_DESTINATIONS`` entry fit to show in chat or a terminal: a URL loses its
    credentials and query string (webhook URLs often carry a token there) and a token in
    its path (Slack and Discord webhook URLs are the token). Any other entry with a URL in
    it is redacted the same way (``redact_url``). The key itself is stored unchanged."""
    kind, _, target = key.partition(":")
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unclosed IPv6 bracket: show the kind only
        return kind
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return redact_urls(key)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a port number: show no more than the host
        port = ""
    path = urlsplit(redact_url(target)).path
    return f"{kind} {parts.hostname}{port}{path}"


def _stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def publication_message(publication: Publication) -> Message:
    """How an approved statement reads in a public channel: plain user text, no pings."""
    lines: list[Line] = [(publication.body,)]
    if publication.corrects is not None:
        when = _stamp(publication.corrects.published_at)
        lines.insert(0, (Strong(f"This corrects our statement of {when}."),))
    if publication.signer:
        lines.append((f"— {publication.signer}",))
    if publication.hub_url:
        lines.append((Strong("Status page: "), publication.hub_url))
    kind = KIND_LABELS.get(publication.kind, publication.kind.capitalize())
    return Message(
        title=f"{kind}: {publication.incident_title}",
        lines=tuple(lines),
        footer=f"{publication.incident_ref} · {publication.severity.upper()} · "
        f"{publication.published_at:%Y-%m-%d %H:%M} UTC",
    )


def amended_message(correction: Publication) -> Message:
    """The original statement's message once corrected: its words kept as they were
    published (history is never rewritten), under a visible note pointing to the
    correction, which is posted after it in the same place."""
    original = correction.corrects
    assert original is not None
    when = _stamp(correction.published_at)
    lines: list[Line] = [
        (Strong(f"✏️ Corrected at {when}"), " — see the correction posted then."),
        (original.body,),
    ]
    if original.signer:
        lines.append((f"— {original.signer}",))
    if correction.hub_url:
        lines.append(
            (Strong("Status page: "), f"{correction.hub_url}#{correction.statement_ref.lower()}")
        )
    kind = KIND_LABELS.get(original.kind, original.kind.capitalize())
    return Message(
        title=f"Corrected · {kind}: {correction.incident_title}",
        lines=tuple(lines),
        footer=f"{correction.incident_ref} · {correction.severity.upper()} · "
        f"{_stamp(original.published_at)} · corrected {when}",
    )


class ChatChannelDestination:
    """Posts approved statements to a public channel of a chat platform."""

    def __init__(self, chat: ChatPlatform, channel_id: str, key: str, label: str) -> None:
        self.chat, self.channel_id, self.key, self.label = chat, channel_id, key, label

    async def deliver(self, publication: Publication) -> str:
        try:
            ref = await self.chat.post(self.channel_id, publication_message(publication))
        except ChatError as error:
            raise DeliveryFailed(error.reason, retryable=error.retryable) from error
        return ref.message_id

    async def amend(self, publication: Publication, original_external_id: str) -> None:
        ref = MessageRef(self.channel_id, original_external_id)
        try:
            await self.chat.update(ref, amended_message(publication))
        except ChatError as error:
            raise DeliveryFailed(error.reason, retryable=error.retryable) from error
