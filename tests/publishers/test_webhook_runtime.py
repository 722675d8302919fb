"""Webhooks through the whole bot (``bot.app.start``): an approved statement reaches a
receiver that verifies it with the Standard Webhooks library; retries keep one
webhook-id, so a flaky receiver stores the statement once; a refusal ends ``failed``
and the team is told; ``candor deliveries retry`` queues it again; destinations are
served at the same time."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import StartupError, start
from tests.fakes.clock import FakeClock
from tests.fakes.webhooks import Answer, Receivers, running_receivers
from tests.publishers.live import Live, live, webhook_settings

HOOK = "/hook"


def _attempts_recorded(
    bot: Live, receivers: Receivers, url: str, n: int
) -> Callable[[], Awaitable[bool]]:
    async def done() -> bool:
        delivery = await bot.delivery(url)
        return len(receivers.hits) >= n and delivery.attempts >= n and delivery.state != "sending"

    return done


async def test_an_approved_statement_reaches_the_receiver_signed(
    database_url: str, clock: FakeClock
) -> None:
    async with running_receivers() as receivers:
        url = receivers.url(HOOK)
        async with live(webhook_settings(database_url, url), clock) as bot:
            await bot.open()
            await bot.approve()
            delivery = await bot.settled(url, "sent")
            await bot.screen.wait_for(r"S1 is public — sent to .*webhook 127\.0\.0\.1:\d+/hook")
            hub = f"{bot.runtime.desk.deps.public_url}/status/incidents/1"
    [hit] = receivers.hits
    assert hit.verified and delivery.external_id == hit.webhook_id
    assert list(receivers.accepted[HOOK]) == [hit.webhook_id]
    data = hit.payload["data"]
    assert data["incident"] == {
        "ref": "INC-1",
        "title": "Checkout down",
        "severity": "sev2",
        "state": "investigating",
    }
    assert data["statement"]["ref"] == "S1" and data["statement"]["kind"] == "ack"
    assert "Checkout down" in data["statement"]["body"]
    assert data["hub_url"] == hub
    assert hit.payload["type"] == "statement.published"


async def test_a_receiver_failing_three_times_then_accepting_stores_it_once(
    database_url: str, clock: FakeClock
) -> None:
    async with running_receivers() as receivers:
        url = receivers.url(HOOK)
        receivers.script(HOOK, Answer(503), Answer(408), Answer(429, {"Retry-After": "120"}))
        async with live(webhook_settings(database_url, url), clock) as bot:
            await bot.open()
            await bot.approve()
            started = clock.now()
            await bot.drive(_attempts_recorded(bot, receivers, url, 1))
            first = await bot.delivery(url)
            assert first.state == "pending" and "HTTP 503" in (first.last_error or "")
            status = await bot.say("/incident status")
            assert "attempt 1 failed" in status.plain and "retrying" in status.plain

            assert first.next_attempt_at is not None
            clock.current = first.next_attempt_at  # backoff, with jitter
            await bot.drive(_attempts_recorded(bot, receivers, url, 2))
            second = await bot.delivery(url)
            assert "HTTP 408" in (second.last_error or "")

            assert second.next_attempt_at is not None  # the wait grows: ~10 s, then ~20 s
            assert second.next_attempt_at - clock.now() > first.next_attempt_at - started
            clock.current = second.next_attempt_at
            await bot.drive(_attempts_recorded(bot, receivers, url, 3))
            third = await bot.delivery(url)
            assert "HTTP 429" in (third.last_error or "")
            assert third.next_attempt_at == clock.now() + timedelta(seconds=120)  # Retry-After

            clock.advance(seconds=119)
            await bot.runtime.desk.settle()
            assert len(receivers.hits) == 3  # not before the receiver said
            clock.advance(seconds=1)
            delivered = await bot.settled(url, "sent")
            await bot.screen.wait_for(r"S1 is public — sent to .*webhook")
            reports = bot.screen.count(r"S1 is public")
    assert [hit.status for hit in receivers.hits] == [503, 408, 429, 200]
    assert all(hit.verified for hit in receivers.hits)
    assert len({hit.webhook_id for hit in receivers.hits}) == 1  # one id on every attempt
    assert list(receivers.accepted[HOOK]) == [delivered.external_id]  # exactly one accepted
    assert delivered.attempts == 4 and delivered.last_error is None
    assert reports == 1  # the team hears once, when every destination has settled


async def test_a_refusal_fails_with_the_reason_and_is_not_retried(
    database_url: str, clock: FakeClock
) -> None:
    async with running_receivers() as receivers:
        url = receivers.url(HOOK)
        receivers.script(HOOK, Answer(404))
        async with live(webhook_settings(database_url, url), clock) as bot:
            await bot.open()
            await bot.approve()
            failed = await bot.settled(url, "failed")
            await bot.screen.wait_for(
                r"S1 did not reach webhook 127\.0\.0\.1:\d+/hook: the receiver answered HTTP 404"
            )
            clock.advance(hours=2)
            await bot.runtime.desk.settle()
            status = await bot.say("/incident status")
    assert failed.attempts == 1 and "check the URL" in (failed.last_error or "")
    assert len(receivers.hits) == 1
    assert "failed: the receiver answered HTTP 404" in status.plain
    assert f"candor deliveries retry {failed.id}" in status.plain
    assert HOOK not in receivers.accepted


async def test_a_failed_delivery_retried_by_an_operator_reaches_the_receiver(
    database_url: str, clock: FakeClock
) -> None:
    async with running_receivers() as receivers:
        url = receivers.url(HOOK)
        receivers.script(HOOK, Answer(404))  # then the receiver is fixed
        async with live(webhook_settings(database_url, url), clock) as bot:
            await bot.open()
            await bot.approve()
            failed = await bot.settled(url, "failed")
            assert failed.id is not None
            desk = bot.runtime.desk

            listed = await desk.list_deliveries(failed_only=True)
            assert re.search(rf"{failed.id}\s+failed\s+INC-1 S1 → webhook .*HTTP 404", listed.plain)
            reply = await desk.retry_delivery(failed.id, by="ops")
            assert not reply.is_error and "queued again" in reply.plain
            delivered = await bot.settled(url, "sent")
            await bot.screen.wait_for(r"S1 is public — sent to .*webhook")

            again = await desk.retry_delivery(failed.id)
            unknown = await desk.retry_delivery(9999)
            timeline = await bot.say("/incident timeline")
            nothing_failed = await desk.list_deliveries(failed_only=True)
    assert again.is_error and f"Delivery {failed.id} is sent, not failed" in again.plain
    assert unknown.is_error and "There is no delivery 9999." in unknown.plain
    assert "queued again by ops" in timeline.plain
    assert nothing_failed.plain == "No failed deliveries."
    assert [hit.status for hit in receivers.hits] == [404, 200]
    assert len({hit.webhook_id for hit in receivers.hits}) == 1
    assert list(receivers.accepted[HOOK]) == [delivered.external_id]


async def _candor(tmp_path: Path, database_url: str, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    for name in ("SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN", "PUBLIC_DESTINATIONS"):
        env.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_candor_deliveries_retry_from_the_command_line(
    database_url: str, tmp_path: Path
) -> None:
    clock = FakeClock(datetime.now(UTC))  # the CLI runs on real time, like a bot in production
    async with running_receivers() as receivers:
        url = receivers.url(HOOK)
        receivers.script(HOOK, Answer(410))
        settings = webhook_settings(database_url, url)
        async with live(settings, clock) as bot:
            await bot.open()
            await bot.approve()
            failed = await bot.settled(url, "failed")

        code, listed, _ = await _candor(tmp_path, database_url, "deliveries", "list", "--failed")
        assert code == 0 and re.search(rf"{failed.id}\s+failed\s+INC-1 S1 → webhook", listed)
        code, _, err = await _candor(tmp_path, database_url, "deliveries", "retry", "9999")
        assert code == 1 and "There is no delivery 9999." in err
        code, out, _ = await _candor(tmp_path, database_url, "deliveries", "retry", str(failed.id))
        assert code == 0 and f"Delivery {failed.id} (INC-1 S1 to webhook" in out
        code, _, err = await _candor(tmp_path, database_url, "deliveries", "retry", str(failed.id))
        assert code == 1 and "is pending, not failed" in err

        clock.advance(minutes=1)
        async with live(settings, clock) as bot:  # the running bot picks the retry up
            delivered = await bot.settled(url, "sent")
    assert [hit.status for hit in receivers.hits] == [410, 200]
    assert list(receivers.accepted[HOOK]) == [delivered.external_id]


async def test_destinations_are_served_at_the_same_time(
    database_url: str, clock: FakeClock
) -> None:
    paths = ("/a", "/b", "/c")
    hold = asyncio.Event()
    async with running_receivers() as receivers:
        for path in paths:
            receivers.script(path, Answer(hold=hold))
        urls = [receivers.url(path) for path in paths]
        async with live(webhook_settings(database_url, *urls), clock) as bot:
            await bot.open()
            await bot.approve()
            fan_out = asyncio.create_task(bot.runtime.desk.settle())
            # Each receiver holds its answer; they can only all be waiting at once if
            # the bot sent to all of them before hearing back from any.
            await receivers.wait_until(lambda: all(receivers.arrived(p) for p in paths))
            answered_early = [e for e in receivers.events if e[0] == "answered"]
            hold.set()
            await asyncio.wait_for(fan_out, 10)
            for url in urls:
                await bot.settled(url, "sent")
    assert answered_early == []
    assert [kind for kind, _ in receivers.events[:3]] == ["arrived"] * 3
    assert all(len(receivers.accepted[path]) == 1 for path in paths)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"webhook_secret": None}, "WEBHOOK_SECRET is not set"),
        ({"webhook_secret": "whsec_%%%"}, "not a Standard Webhooks secret"),
        ({"public_destinations": "webhook:ftp://example.com/x"}, "needs an http(s) URL"),
    ],
)
async def test_a_webhook_that_cannot_work_stops_the_start_with_the_fix(
    database_url: str, clock: FakeClock, overrides: dict[str, object], message: str
) -> None:
    settings = webhook_settings(database_url, "https://hooks.example.com/in", **overrides)
    with pytest.raises(StartupError, match=re.escape(message)):
        await start(settings, console_write=lambda _: None, clock=clock, serve_http=False)
