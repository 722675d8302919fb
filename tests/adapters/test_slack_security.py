"""Requests Slack did not sign, or signed too long ago, are refused with 401 and leave
no trace: no Web API call, no database row. A wrong bot token stops the start with a
plain message."""

from __future__ import annotations

import json
import time

import pytest

from bot.app import StartupError, start
from tests.adapters.slack_bot import GENERAL, SlackBot, settings, slack_bot
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack, SlackSigner
from tests.fakes.slack_payloads import event_body, reaction_event, view_submission_body

SIX_MINUTES = 6 * 60
FORM = "application/x-www-form-urlencoded"


def bodies(bot: SlackBot) -> dict[str, str]:
    """One of each kind Slack sends: a slash command, an event, a modal submission."""
    return {
        "command": bot.fake.slash_command_body("open Payments failing sev1", "UALICE", GENERAL),
        "event": event_body(reaction_event("UALICE", GENERAL, "1700000000.000100", "x")),
        "view": view_submission_body(
            "candor_open", {"title": {"value": "Payments failing"}}, "UALICE", GENERAL
        ),
    }


def refused_headers(bot: SlackBot, body: str) -> dict[str, dict[str, str]]:
    content_type = "application/json" if body.startswith("{") else FORM
    stale = int(time.time()) - SIX_MINUTES
    return {
        "forged": SlackSigner("not-the-signing-secret").headers(body),
        "unsigned": {"Content-Type": content_type},
        "stale": bot.signer.headers(body, timestamp=stale),
        "future": bot.signer.headers(body, timestamp=int(time.time()) + SIX_MINUTES),
        "signature only": {
            "Content-Type": content_type,
            "X-Slack-Signature": bot.signer.headers(body)["X-Slack-Signature"],
        },
    }


async def test_forged_unsigned_and_stale_requests_get_401_and_change_nothing(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        rows_before = await bot.rows()
        calls_before = len(bot.fake.calls)

        for kind, body in bodies(bot).items():
            for how, headers in refused_headers(bot, body).items():
                response = await bot.post(body, headers)
                assert response.status == 401, (kind, how)
            # Signed correctly, then altered on the way: the signature no longer matches.
            signed = bot.signer.headers(body)
            tampered = body.replace("UALICE", "UMALLORY")
            assert (await bot.post(tampered, signed)).status == 401, kind

        await bot.settle()
        assert len(bot.fake.calls) == calls_before, "a refused request reached Slack"
        assert bot.fake.calls_to("conversations.create") == []
        assert bot.fake.responses == [] and bot.fake.ephemerals == []
        assert await bot.rows() == rows_before

        # The same command, signed now, is the first incident: nothing was half-done.
        channel = await bot.open_incident("open Payments failing sev1")
        assert bot.fake.channel(channel)["name"] == "inc-1-payments-failing"


async def test_a_wrong_bot_token_stops_the_start_with_a_plain_message(
    database_url: str, clock: FakeClock
) -> None:
    async with FakeSlack() as fake:
        fake.valid_tokens = {"xoxb-the-installed-token"}
        with pytest.raises(StartupError) as refused:
            await start(settings(fake, database_url), clock=clock)

    message = str(refused.value)
    assert message == "Slack: SLACK_BOT_TOKEN was rejected [invalid_auth]"
    assert "Traceback" not in message and "xoxb-test-token" not in message
    assert [call.method for call in fake.calls] == ["auth.test"]


async def test_an_unreachable_slack_stops_the_start_with_a_plain_message(
    database_url: str, clock: FakeClock
) -> None:
    async with FakeSlack() as fake:
        gone = settings(fake, database_url)
    # The fake has stopped: nothing answers at SLACK_API_URL any more.
    with pytest.raises(StartupError) as refused:
        await start(gone, clock=clock)
    message = str(refused.value)
    assert message.startswith("Slack: could not reach http://127.0.0.1:")
    assert "SLACK_API_URL" in message and "xoxb-test-token" not in message


async def test_a_slash_command_that_says_payload_is_still_a_command(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bolt takes any form body containing "payload" for an interactive payload."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident("open Payload API failing sev2")
        assert bot.fake.channel(channel)["name"] == "inc-1-payload-api-failing"

        text = "draft The payload service is failing; please retry. Next update by 15:00 UTC."
        assert await bot.command(text, channel=channel) == 200
        reply = await bot.fake.wait_for_response(2)
        assert "S2 drafted for INC-1" in reply.body["text"]
        ts = await bot.wait_draft(channel, "S2")
        [draft] = [m for m in bot.fake.messages(channel) if m["ts"] == ts]
        assert "The payload service is failing" in draft["text"]


async def test_the_event_body_is_what_was_signed(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Re-serialising the JSON (same content, other bytes) breaks the signature."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        body = event_body(reaction_event("UALICE", GENERAL, "1700000000.000100", "x"))
        signed = bot.signer.headers(body)
        reformatted = json.dumps(json.loads(body), indent=2)
        assert (await bot.post(reformatted, signed)).status == 401
        assert (await bot.post(body, signed)).status == 200
