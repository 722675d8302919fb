"""How a command that could not run is answered: the problem and its fix, the chat
platform's refusal, or an unexpected error with a reference for the logs."""

from __future__ import annotations

import logging
import secrets

from commands.errors import CommandError
from commands.ports import ChatError, Reply, text

log = logging.getLogger("candor.desk")


def error_reply(error: CommandError) -> Reply:
    return Reply(text(*str(error).split("\n")), ephemeral=True, is_error=True)


def chat_refused(error: ChatError) -> Reply:
    log.warning("chat platform refused: %s", error.reason)
    return Reply(
        text(
            f"The chat platform refused: {error.reason}. Nothing was changed; "
            "fix that and try again."
        ),
        ephemeral=True,
        is_error=True,
    )


def crash_reply() -> Reply:
    ref = secrets.token_hex(4)
    log.exception("unexpected error (ref %s)", ref)
    return Reply(
        text(f"Something went wrong (ref {ref}). Nothing was changed; please try again."),
        ephemeral=True,
        is_error=True,
    )
