"""Logging that an attacker cannot bend: every record is one line (CR/LF escaped, in
the message, its arguments and any traceback), ``LOG_FORMAT=json`` writes one JSON
object per line, and noisy events (refused connections, forged requests) are logged
at most once per key per window with a count of what was left out."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ESCAPES = str.maketrans({"\r": "\\r", "\n": "\\n", "\x85": "\\x85", "\u2028": "\\u2028"})


def one_line(text: str) -> str:
    """``text`` with line breaks written as escapes: it cannot start a log line of its own."""
    return text.translate(_ESCAPES)


class OneLineFormatter(logging.Formatter):
    """The usual text format; a multi-line message or traceback stays on its line."""

    def format(self, record: logging.LogRecord) -> str:
        return one_line(super().format(record))


class OneLineJsonFormatter(JsonFormatter):
    """One JSON object per line (JSON escapes line breaks itself)."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
        )


def configure_logging(level: str, log_format: str = "text") -> None:
    """The process's one log handler, on stderr: ``text`` (default) or ``json``."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format.lower() == "json":
        handler.setFormatter(OneLineJsonFormatter())
    else:
        handler.setFormatter(OneLineFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


class RateLimitedLog:
    """Logs an event at most once per ``key`` (a client address) per ``window`` seconds;
    the next line that is let through says how many were left out meanwhile."""

    def __init__(
        self,
        logger: logging.Logger,
        window: float = 60.0,
        max_keys: int = 10_000,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._window = window
        self._max_keys = max_keys
        self._now = now
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warning(self, key: str, message: str, *args: Any) -> bool:
        """True when the line was written, False when it was only counted."""
        now = self._now()
        last = self._last.get(key)
        if last is not None and now - last < self._window:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        if len(self._last) >= self._max_keys:
            self._forget(now)
        suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message += " (%d more like this in the last %ds)"
            args = (*args, suppressed, int(self._window))
        self._last[key] = now
        self._logger.warning(message, *args)
        return True

    def _forget(self, now: float) -> None:
        """Bound the memory a spoofed-address flood could take."""
        expired = [key for key, at in self._last.items() if now - at >= self._window]
        for key in expired or list(self._last)[: len(self._last) // 2]:
            self._last.pop(key, None)
            self._suppressed.pop(key, None)
