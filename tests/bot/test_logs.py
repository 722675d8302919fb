"""bot/logs.py: one line per record whatever it carries; noisy events rate-limited."""

from __future__ import annotations

import json
import logging
import sys

from bot.logs import TEXT_FORMAT, OneLineFormatter, OneLineJsonFormatter, RateLimitedLog


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("line one\nline two")
        except ValueError:
            info = sys.exc_info()
    return logging.LogRecord("candor", logging.WARNING, __file__, 1, message, args, info)


def test_line_breaks_in_message_args_and_tracebacks_stay_on_one_line() -> None:
    formatter = OneLineFormatter(TEXT_FORMAT)
    text = formatter.format(record("from %s\r\nFAKE", "a\nb\u2028c", exc=True))
    assert "\n" not in text and "\r" not in text and "\u2028" not in text
    assert "\\r\\nFAKE" in text and "a\\nb" in text and "line one\\nline two" in text


def test_json_records_are_one_object_per_line() -> None:
    text = OneLineJsonFormatter().format(record("hello %s", "x\ny", exc=True))
    assert "\n" not in text
    parsed = json.loads(text)
    assert parsed["message"] == "hello x\ny" and parsed["level"] == "WARNING"
    assert parsed["logger"] == "candor" and "exc_info" in parsed


def test_a_key_is_logged_once_a_window_then_with_the_count_left_out() -> None:
    now = [0.0]
    logger = logging.getLogger("candor.test.ratelimit")
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, entry: logging.LogRecord) -> None:
            seen.append(entry.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    try:
        limited = RateLimitedLog(logger, window=60, max_keys=4, now=lambda: now[0])
        results = [limited.warning("a", "refused %s", "a") for _ in range(100)]
        assert results.count(True) == 1
        assert limited.warning("b", "refused %s", "b")
        now[0] = 61
        assert limited.warning("a", "refused %s", "a")
        for n in range(10):  # many keys: memory stays bounded
            limited.warning(f"k{n}", "refused")
        assert len(limited._last) <= 4
    finally:
        logger.removeHandler(handler)
    assert seen[:2] == ["refused a", "refused b"]
    assert seen[2] == "refused a (99 more like this in the last 60s)"
