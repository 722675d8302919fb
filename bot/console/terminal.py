"""The console at a terminal, on prompt_toolkit: line editing (arrows, Home/End, Ctrl-A/E,
…), history kept across runs (Up, Ctrl-R), Tab completion, text of several lines, long
pastes taken whole (bracketed paste), and the bot's messages printed above the prompt
rather than through it.

Enter sends. A new line inside an entry: Esc then Enter (Alt-Enter), or end the line with
``\\`` and press Enter. A paste keeps its line breaks and is sent with the next Enter.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import has_focus
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.patch_stdout import patch_stdout

from bot.console.completion import ConsoleCompleter
from bot.console.repl import WELCOME, ConsoleRepl

CONTINUED = "... "


def _keys() -> KeyBindings:
    keys = KeyBindings()
    typing = has_focus(DEFAULT_BUFFER)  # not while searching the history (Ctrl-R)

    @keys.add("enter", filter=typing)
    def _send(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.document.text_before_cursor.endswith("\\"):
            buffer.delete_before_cursor(1)  # a trailing \ asks for another line
            buffer.newline(copy_margin=False)
        else:
            buffer.validate_and_handle()

    @keys.add("escape", "enter", filter=typing)
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.newline(copy_margin=False)

    return keys


@contextmanager
def _logs_above_the_prompt() -> Iterator[None]:
    """Log lines through patch_stdout's stderr too: the handler was given the real
    stderr at start, and a line written there lands in the middle of the prompt."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and h.stream is sys.__stderr__
    ]
    for handler in handlers:
        handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for handler in handlers:
            handler.setStream(sys.__stderr__)


def _private(path: Path) -> Path:
    """What was typed may be a draft not yet public: readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    return path


async def run_terminal(repl: ConsoleRepl, history: Path) -> None:
    completer = ConsoleCompleter()
    session: PromptSession[str] = PromptSession(
        history=FileHistory(str(_private(history))),
        completer=completer,
        key_bindings=_keys(),
        multiline=True,  # shown over several lines; Enter still sends (_keys)
        prompt_continuation=lambda width, line, wrapped: CONTINUED.rjust(width),
        complete_while_typing=False,
    )
    with patch_stdout(raw=True), _logs_above_the_prompt():
        repl.write(WELCOME)
        while True:
            await completer.refresh(repl.session.runtime.store, repl.where.channel)
            try:
                line = await session.prompt_async(repl.prompt)
            except KeyboardInterrupt:  # Ctrl-C clears the line, as in a shell
                continue
            except EOFError:  # Ctrl-D
                break
            if not await repl.handle(line):
                break
