"""A correction reaches a webhook as a signed statement event whose statement names the
one it corrects, as published (a receiver cannot be edited: it updates its own copy)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.publishers.webhook import WebhookDestination
from commands.ports import CorrectedRef
from tests.fakes.webhooks import SECRET, Receivers, running_receivers
from tests.publishers.test_webhook_destination import PUBLICATION

CORRECTION = replace(
    PUBLICATION,
    delivery_id=9,
    statement_ref="S2",
    kind="correction",
    body="Only card checkouts failed; PayPal worked. Next update 14:30 UTC.",
    published_at=datetime(2026, 11, 21, 12, 5, tzinfo=UTC),
    corrects=CorrectedRef(
        statement_ref="S1",
        kind="ack",
        body=PUBLICATION.body,
        signer="Dana Scully",
        published_at=datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
        external_id="msg_7_0123456789abcdef",
    ),
)


@pytest.fixture
async def receivers() -> AsyncIterator[Receivers]:
    async with running_receivers() as found:
        yield found


async def test_the_correction_event_references_the_corrected_statement(
    receivers: Receivers,
) -> None:
    async with aiohttp.ClientSession() as session:
        hook = WebhookDestination(receivers.url("/hook"), SECRET, session, timeout=10.0)
        assert not hasattr(hook, "amend")  # what a receiver did with S1 is not ours to edit
        await hook.deliver(CORRECTION)
    [hit] = receivers.hits
    assert hit.verified and hit.payload["type"] == "statement.published"
    statement = hit.payload["data"]["statement"]
    assert (statement["ref"], statement["kind"]) == ("S2", "correction")
    assert statement["corrects"] == {
        "ref": "S1",
        "kind": "ack",
        "body": PUBLICATION.body,
        "signer": "Dana Scully",
        "published_at": "2026-11-21T12:00:00Z",
    }
