"""The webhook destination against a real receiver on 127.0.0.1: signed per Standard
Webhooks (verified with the library), one webhook-id per delivery, answers mapped
to delivered / try again / refused with a reason a person can act on."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.publishers.webhook import (
    WebhookConfigError,
    WebhookDestination,
    Webhooks,
    retry_after,
    webhook_id,
)
from commands.ports import DeliveryFailed, Publication
from tests.fakes.webhooks import SECRET, Answer, Receivers, running_receivers

PUBLICATION = Publication(
    delivery_id=7,
    incident_id=3,
    incident_ref="INC-3",
    incident_title="Checkout down",
    severity="sev2",
    state="investigating",
    statement_ref="S1",
    kind="ack",
    body="We are aware of an issue with checkout — «café» orders fail. Next update 14:30 UTC.",
    signer="Dana Scully",
    published_at=datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
    hub_url="https://status.example.com/status/incidents/3",
    attempt=1,
    queued_at=datetime(2026, 11, 21, 11, 59, 30, tzinfo=UTC),
)


@pytest.fixture
async def receivers() -> AsyncIterator[Receivers]:
    async with running_receivers() as found:
        yield found


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as made:
        yield made


def _hook(
    receivers: Receivers, session: aiohttp.ClientSession, timeout: float = 10.0
) -> WebhookDestination:
    return WebhookDestination(receivers.url("/hook"), SECRET, session, timeout=timeout)


async def test_a_statement_arrives_signed_and_the_library_verifies_it(
    receivers: Receivers, session: aiohttp.ClientSession
) -> None:
    external_id = await _hook(receivers, session).deliver(PUBLICATION)
    [hit] = receivers.hits
    assert hit.verified and hit.status == 200
    assert external_id == hit.webhook_id == webhook_id(PUBLICATION)
    assert hit.payload == {
        "type": "statement.published",
        "timestamp": "2026-11-21T12:00:00Z",
        "data": {
            "incident": {
                "ref": "INC-3",
                "title": "Checkout down",
                "severity": "sev2",
                "state": "investigating",
            },
            "statement": {
                "ref": "S1",
                "kind": "ack",
                "body": PUBLICATION.body,
                "signer": "Dana Scully",
                "published_at": "2026-11-21T12:00:00Z",
            },
            "hub_url": "https://status.example.com/status/incidents/3",
        },
    }


async def test_a_receiver_with_another_secret_refuses_and_that_is_not_retried(
    session: aiohttp.ClientSession,
) -> None:
    other = "whsec_" + base64.b64encode(b"somebody-else's-secret-0123456789").decode()
    async with running_receivers(other) as receivers:
        with pytest.raises(DeliveryFailed) as failed:
            await _hook(receivers, session).deliver(PUBLICATION)
    assert not failed.value.retryable
    assert "HTTP 401" in failed.value.reason and "same WEBHOOK_SECRET" in failed.value.reason
    assert [hit.verified for hit in receivers.hits] == [False]


def test_one_delivery_keeps_its_webhook_id_and_no_other_delivery_shares_it() -> None:
    first = webhook_id(PUBLICATION)
    assert first.startswith("msg_7_")
    assert webhook_id(replace(PUBLICATION, attempt=4, published_at=datetime.now(UTC))) == first
    assert webhook_id(replace(PUBLICATION, delivery_id=8)) != first
    # The same row number in another database (a reset, a staging copy) is another message.
    reused = replace(PUBLICATION, queued_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert webhook_id(reused) != first


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
async def test_busy_or_broken_receivers_are_tried_again(
    receivers: Receivers, session: aiohttp.ClientSession, status: int
) -> None:
    receivers.script("/hook", Answer(status))
    with pytest.raises(DeliveryFailed) as failed:
        await _hook(receivers, session).deliver(PUBLICATION)
    assert failed.value.retryable
    assert f"the receiver answered HTTP {status}" in failed.value.reason
    assert failed.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (400, "HTTP 400 Bad Request (not retried)"),
        (403, "check that it verifies with the same WEBHOOK_SECRET"),
        (404, "check the URL in PUBLIC_DESTINATIONS"),
        (410, "check the URL in PUBLIC_DESTINATIONS"),
        (422, "HTTP 422 Unprocessable"),
    ],
)
async def test_a_refusal_says_why_and_is_not_retried(
    receivers: Receivers, session: aiohttp.ClientSession, status: int, hint: str
) -> None:
    receivers.script("/hook", Answer(status))
    with pytest.raises(DeliveryFailed) as failed:
        await _hook(receivers, session).deliver(PUBLICATION)
    assert not failed.value.retryable
    assert hint in failed.value.reason


async def test_a_redirect_is_not_followed_with_the_statement(
    receivers: Receivers, session: aiohttp.ClientSession
) -> None:
    receivers.script("/hook", Answer(301, headers={"Location": "https://elsewhere.example/"}))
    with pytest.raises(DeliveryFailed) as failed:
        await _hook(receivers, session).deliver(PUBLICATION)
    assert not failed.value.retryable
    assert "redirect to https://elsewhere.example/" in failed.value.reason
    assert len(receivers.hits) == 1


async def test_retry_after_on_429_says_when_to_come_back(
    receivers: Receivers, session: aiohttp.ClientSession
) -> None:
    receivers.script("/hook", Answer(429, headers={"Retry-After": "120"}))
    with pytest.raises(DeliveryFailed) as failed:
        await _hook(receivers, session).deliver(PUBLICATION)
    assert failed.value.retryable and failed.value.retry_after == timedelta(seconds=120)
    assert "asked for 120 s" in failed.value.reason


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert retry_after("30", now) == timedelta(seconds=30)
    assert retry_after("Sat, 21 Nov 2026 12:01:30 GMT", now) == timedelta(seconds=90)
    assert retry_after("Sat, 21 Nov 2026 11:00:00 GMT", now) == timedelta()
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


async def test_a_receiver_that_does_not_answer_in_time_is_tried_again(
    receivers: Receivers, session: aiohttp.ClientSession
) -> None:
    receivers.script("/hook", Answer(hold=asyncio.Event()))
    with pytest.raises(DeliveryFailed) as failed:
        await _hook(receivers, session, timeout=0.2).deliver(PUBLICATION)
    assert failed.value.retryable
    assert failed.value.reason == "the receiver did not answer within 0.2 s"


async def test_an_unreachable_receiver_is_tried_again(session: aiohttp.ClientSession) -> None:
    async with running_receivers() as receivers:
        url = receivers.url("/hook")  # the port is closed once the server stops
    hook = WebhookDestination(url, SECRET, session)
    with pytest.raises(DeliveryFailed) as failed:
        await hook.deliver(PUBLICATION)
    assert failed.value.retryable
    assert re.fullmatch(
        r"could not reach the receiver: 127\.0\.0\.1:\d+: connection refused", failed.value.reason
    )


def test_the_label_never_shows_a_token_in_the_url() -> None:
    webhooks = Webhooks(SECRET)
    hook = webhooks.destination("https://user:pw@hooks.example.com:8443/in/candor?token=s3cret")
    assert hook.key == "webhook:https://user:pw@hooks.example.com:8443/in/candor?token=s3cret"
    assert hook.label == "webhook hooks.example.com:8443/in/candor"


@pytest.mark.parametrize(
    ("secret", "target", "message"),
    [
        (None, "https://hooks.example.com/x", "WEBHOOK_SECRET is not set"),
        ("whsec_not*base64!", "https://hooks.example.com/x", "not a Standard Webhooks secret"),
        ("whsec_", "https://hooks.example.com/x", "not a Standard Webhooks secret"),
        (SECRET, "ftp://hooks.example.com/x", "needs an http(s) URL"),
        (SECRET, "hooks.example.com/x", "needs an http(s) URL"),
    ],
)
def test_an_unusable_webhook_setting_is_explained(
    secret: str | None, target: str, message: str
) -> None:
    with pytest.raises(WebhookConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Webhooks(secret).destination(target)
