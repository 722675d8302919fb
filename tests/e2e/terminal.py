"""The console as a person at a terminal meets it: the real CLI in a pseudo-terminal
(pexpect), keys sent as a terminal sends them, the screen read back."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect

LEFT, UP, TAB, ENTER, ESCAPE = "\x1b[D", "\x1b[A", "\t", "\r", "\x1b"
PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"  # bracketed paste, as terminals send it


class Terminal:
    def __init__(self, tmp_path: Path, *args: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'candor.db'}",
            "TERM": "xterm",
            # pexpect does not answer "where is the cursor?"; without this prompt_toolkit
            # waits for the answer, then warns
            "PROMPT_TOOLKIT_NO_CPR": "1",
        }
        for name in ("SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN", "APPROVERS", "PUBLIC_DESTINATIONS"):
            env.pop(name, None)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "bot.cli", "console", *args],
            env=env,
            cwd=str(tmp_path),
            encoding="utf-8",
            timeout=60,
            dimensions=(40, 120),
        )
        self.screen = ""  # everything shown so far, escape sequences included

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def see(self, text: str) -> str:
        """Wait until ``text`` is shown; what was shown before it."""
        self.child.expect_exact(text)
        self.screen += self.child.before + self.child.after
        return str(self.child.before)

    def prompt(self, channel: str = "general") -> None:
        self.see(f"you@#{channel}>")

    def leave(self) -> str:
        self.send(":quit" + ENTER)
        self.child.expect(pexpect.EOF)
        self.screen += self.child.before
        self.child.close()
        assert self.child.exitstatus == 0, self.screen
        assert "Traceback" not in self.screen
        return self.screen
