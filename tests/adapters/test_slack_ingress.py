"""The door of POST /slack/events (issue 12, "Ingress"): the signature is checked on
the raw bytes first; refusals are one short, rate-limited log line that carries no
body and no response_url; a signed but malformed body is a 400, never a 500."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import aiohttp
import pytest

from bot.logs import TEXT_FORMAT, OneLineFormatter
from tests.adapters.slack_bot import GENERAL, SECRET, SlackBot, slack_bot
from tests.fakes.clock import FakeClock
from tests.fakes.slack import SlackSigner

MARK = "BODY-MARKER-7f3a"
FORGED_LINE = "2030-01-01 00:00:00,000 WARNING candor: forged line"


@contextmanager
def log_output() -> Iterator[io.StringIO]:
    """What the process's text log would show (the formatter bot/cli.py installs)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(TEXT_FORMAT))
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


async def post_from(bot: SlackBot, source: str, body: str | bytes, headers: dict[str, str]) -> int:
    """POST /slack/events from the loopback address ``source`` (a client of its own)."""
    assert bot.runtime.http is not None
    host, port = bot.runtime.http.addresses[0][:2]
    connector = aiohttp.TCPConnector(local_addr=(source, 0))
    async with (
        aiohttp.ClientSession(f"http://{host}:{port}", connector=connector) as session,
        session.post("/slack/events", data=body, headers=headers) as response,
    ):
        await response.read()
        return response.status


def command(bot: SlackBot, text: str) -> str:
    return bot.fake.slash_command_body(text, "UALICE", GENERAL)


def ingress_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "/slack/events" in line]


async def test_forged_stale_malformed_and_oversized_bodies_get_one_short_line_each(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with log_output() as output:
        async with slack_bot(database_url, clock, monkeypatch) as bot:
            body = command(bot, f"open {MARK} sev1")
            forged = SlackSigner("not-the-secret").headers(body)
            stale = bot.signer.headers(body, timestamp=int(time.time()) - 6 * 60)
            bad_json = "payload=" + quote('{"type": "block_actions", ' + MARK)
            huge = body + "&pad=" + "x" * (1024 * 1024)
            cases = [
                ("127.0.0.2", body, forged, 401, "bad signature"),
                ("127.0.0.3", body, stale, 401, "timestamp outside"),
                ("127.0.0.4", body, {"Content-Type": "text/plain"}, 401, "not signed"),
                ("127.0.0.5", bad_json, bot.signer.headers(bad_json), 400, "not valid JSON"),
                ("127.0.0.6", huge, bot.signer.headers(huge), 413, "body over"),
            ]
            for source, sent, headers, status, reason in cases:
                assert await post_from(bot, source, sent, headers) == status, reason
            await bot.settle()
            assert bot.fake.responses == [] and bot.fake.calls_to("conversations.create") == []
    lines = ingress_lines(output.getvalue())
    for source, _, _, status, reason in cases:
        mine = [line for line in lines if f"from {source}" in line]
        assert len(mine) == 1, (source, lines)
        assert str(status) in mine[0] and reason in mine[0]
        assert len(mine[0]) < 250, "short"
    assert MARK not in output.getvalue(), "no body in the log"
    assert "response_url" not in output.getvalue() and "hooks.slack" not in output.getvalue()


async def test_a_hundred_forged_requests_make_a_handful_of_log_lines(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with log_output() as output:
        async with slack_bot(database_url, clock, monkeypatch) as bot:
            body = command(bot, "open Payments failing") + "&filler=" + "y" * 4000
            forged = SlackSigner("not-the-secret").headers(body)
            for _ in range(100):
                assert (await bot.post(body, forged)).status == 401
            assert bot.runtime.slack is not None
            assert bot.runtime.slack.ingress.refused == 100
    lines = ingress_lines(output.getvalue())
    assert 1 <= len(lines) <= 3, lines
    assert len(output.getvalue()) < 2000


async def test_signed_but_oddly_shaped_payloads_are_400_never_500(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def payload(value: object) -> str:
        return "payload=" + quote(json.dumps(value))

    odd = [
        payload([1, 2]),
        payload({"no": "type"}),
        payload({"type": "block_actions", "actions": "x", "user": {"id": "U"}}),
        payload({"type": "view_submission", "view": {"callback_id": 7}}),
        payload({"type": "block_actions", "team": "T", "user": "U"}),
        json.dumps([1]),
        json.dumps({"type": "event_callback"}),
        json.dumps({"type": "event_callback", "event": {"type": "message", "channel": 3}}),
        "command=%2Fincident&text=help",  # no user, team or channel
        "just some words",
        "",
    ]
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        for body in odd:
            assert (await bot.post(body)).status == 400, body
        raw = b"\xff\xfe not utf-8"
        headers = bot.signer.headers("")
        headers["X-Slack-Signature"] = _sign_bytes(raw, headers["X-Slack-Request-Timestamp"])
        async with bot.http.post("/slack/events", data=raw, headers=headers) as response:
            assert response.status == 400
        # The real thing still works.
        assert await bot.command("help") == 200


def _sign_bytes(raw: bytes, timestamp: str) -> str:
    base = b"v0:" + timestamp.encode() + b":" + raw
    return "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()


async def test_a_newline_in_a_forged_body_or_header_cannot_forge_a_log_line(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with log_output() as output:
        async with slack_bot(database_url, clock, monkeypatch) as bot:
            body = f"command=%2Fincident&text=x\n{FORGED_LINE}\r\n{FORGED_LINE}"
            headers = SlackSigner("nope").headers(body)
            headers["X-Slack-Request-Timestamp"] += f"\t{FORGED_LINE}"  # a header is one line
            assert (await bot.post(body, headers)).status in (400, 401)
            assert (await bot.post(body, SlackSigner("nope").headers(body))).status == 401
            # A request path with an encoded newline is logged as sent, still one line.
            logging.getLogger("candor.test").warning("path %s", f"/x\n{FORGED_LINE}")
    for line in output.getvalue().splitlines():
        assert not line.startswith(FORGED_LINE), line
    assert "\\n" + FORGED_LINE in output.getvalue()
