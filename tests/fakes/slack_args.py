"""Reading Web API arguments the way Slack does: booleans as "1"/"true", JSON strings
inside form bodies, and the message fields shared by chat.postMessage, chat.update and
chat.postEphemeral (validated with Slack's error codes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack_workspace import SlackError, Workspace

MAX_TEXT = 40_000
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000


@dataclass
class MethodEnv:
    token: str
    socket_url: Callable[[], str]
    chat_write_public: bool = False


Method = Callable[[Workspace, dict[str, Any], MethodEnv], dict[str, Any]]


def flag(value: Any) -> bool | None:
    """Slack booleans: JSON true/false, or form "1"/"0"/"true"/"false"."""
    if value is None or isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true")


def decoded(value: Any) -> Any:
    """Blocks, attachments, metadata and views arrive as JSON strings in form bodies."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackError("invalid_arguments") from None
    return value


def _check_blocks(blocks: Any) -> None:
    problems: list[str] = []
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        problems.append(f"must be a list of at most {MAX_BLOCKS} blocks")
    else:
        for i, block in enumerate(blocks):
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                problems.append(f"missing required field: type [json-pointer:/blocks/{i}]")
                continue
            text = block.get("text")
            if isinstance(text, dict) and len(str(text.get("text", ""))) > MAX_SECTION_TEXT:
                problems.append(
                    f"must be less than 3001 characters [json-pointer:/blocks/{i}/text]"
                )
    if problems:
        raise SlackError(
            "invalid_blocks", errors=problems, response_metadata={"messages": problems}
        )


def _check_metadata(metadata: Any) -> None:
    ok = (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and metadata["event_type"]
        and isinstance(metadata.get("event_payload"), dict)
    )
    if not ok:
        raise SlackError("invalid_metadata_format")


def message_fields(args: dict[str, Any], *, require_content: bool = True) -> dict[str, Any]:
    """The stored parts of a message from chat.postMessage/update/postEphemeral args."""
    fields = {
        "text": args.get("text"),
        "blocks": decoded(args.get("blocks")),
        "attachments": decoded(args.get("attachments")),
        "metadata": decoded(args.get("metadata")),
        "thread_ts": args.get("thread_ts"),
        "unfurl_links": flag(args.get("unfurl_links")),
        "unfurl_media": flag(args.get("unfurl_media")),
    }
    if require_content and not (fields["text"] or fields["blocks"] or fields["attachments"]):
        raise SlackError("no_text")
    if fields["text"] is not None and len(str(fields["text"])) > MAX_TEXT:
        raise SlackError("msg_too_long")
    if fields["blocks"] is not None:
        _check_blocks(fields["blocks"])
    if fields["metadata"] is not None:
        _check_metadata(fields["metadata"])
    return {k: v for k, v in fields.items() if v is not None}
