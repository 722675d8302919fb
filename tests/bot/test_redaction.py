"""Destination URLs carry credentials (a password, a ``?token=``, a Slack or Discord
webhook's path token). The stored key keeps them (deliveries rows key on it); nothing
shown or written — status replies, ``candor deliveries list``, exports, failure
reasons — does. A real webhook destination answers through a receiver on 127.0.0.1."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.export import collect, to_json
from bot.export_md import render as markdown
from bot.publishers.webhook import WebhookDestination
from commands.ports import DeliveryFailed, Publication
from commands.publishing.deliveries import listing
from commands.publishing.destinations import ChatChannelDestination, key_label
from storage import Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import PUBLIC, Team

PASSWORD, TOKEN = "pw" + "Secret9", "abc" + "123"
SLACK_TOKEN = "Zq" + "9xLmN3pQ7rT2vW8yB4cD6fGh"
REDIRECT = f"https://login.example.com/callback?token={TOKEN}"
SLACK_KEY = f"webhook:https://hooks.slack.com/services/T0001/B0001/{SLACK_TOKEN}"
LEAKS = (PASSWORD, TOKEN, SLACK_TOKEN)


def clean(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, (leak, text)


class QuotingReceiver:
    """Refuses every statement with a reason that quotes its own URL, as some HTTP
    client errors do; labelled as every real destination is."""

    def __init__(self, key: str) -> None:
        self.key, self.label = key, key_label(key)

    async def deliver(self, publication: Publication) -> str:
        url = self.key.partition(":")[2]
        raise DeliveryFailed(f"POST {url} answered 410 Gone", retryable=False)


@pytest.fixture
async def receiver() -> AsyncIterator[str]:
    """A webhook receiver that redirects (a refusal quoting the Location)."""

    async def hook(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": REDIRECT})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://deploy:{PASSWORD}@{host}:{port}/hook?token={TOKEN}"
    finally:
        await runner.cleanup()


async def test_status_listing_and_export_show_no_credentials(
    store: Store, clock: FakeClock, chat: RecordingChat, receiver: str
) -> None:
    secret = "whsec_" + base64.b64encode(bytes(range(32))).decode()
    async with aiohttp.ClientSession() as session:
        webhook = WebhookDestination(receiver, secret, session)
        quoting = QuotingReceiver(SLACK_KEY)
        public = ChatChannelDestination(chat, PUBLIC, f"chat:{PUBLIC}", "#public")
        destinations = {d.key: d for d in (public, webhook, quoting)}
        team = Team.build(store, clock, chat, destinations=destinations)
        await team.open("alice")
        await team.react("alice", "S1")
        await team.settle()

        async with store.reading() as uow:
            incident = await team.incident()
            assert incident.id is not None
            [s1] = await uow.statements.of_incident(incident.id)
            rows = {d.destination: d for d in await uow.deliveries.of_statement(s1.id or 0)}
        # The keys are stored as configured; the failures are not.
        assert set(rows) == {f"chat:{PUBLIC}", f"webhook:{receiver}", SLACK_KEY}
        assert rows[f"webhook:{receiver}"].state == "failed"
        assert rows[SLACK_KEY].state == "failed"
        for row in rows.values():
            clean(row.last_error or "")
        assert "redirect to https://login.example.com/callback?token=***" in (
            rows[f"webhook:{receiver}"].last_error or ""
        )

        status = await team.say("alice", "/incident status")
        assert "S1 to webhook 127.0.0.1" in status.plain
        assert "S1 to webhook hooks.slack.com/services/T0001/B0001/*** failed" in status.plain
        clean(status.plain)
        for sent in chat.sent:  # "S1 did not reach …" in the incident channel
            clean(sent.text)

        # Once a destination is dropped from the configuration, its label comes from its
        # key alone: still without credentials.
        later = Team.build(store, clock, chat, destinations={f"chat:{PUBLIC}": public})
        later.where = dict(team.where)
        clean((await later.say("alice", "/incident status")).plain)

        listed = (await listing(team.desk.deps)).plain()
        assert "→ webhook 127.0.0.1" in listed
        clean(listed)
        clean((await listing(later.desk.deps, failed_only=True)).plain())

        async with store.reading() as uow:
            document = await collect(uow, await team.incident(), clock.now())
        clean(to_json(document))
        clean(markdown(document, "INC-1.svg"))


@pytest.mark.parametrize(
    ("key", "label"),
    [
        (
            "webhook:https://u:p@hooks.example.com:8443/in?token=s3cret",
            "webhook hooks.example.com:8443/in",
        ),
        (
            "webhook:https://discord.com/api/webhooks/123456789012345678/tok_en-value",
            "webhook discord.com/api/webhooks/123456789012345678/***",
        ),
        (SLACK_KEY, "webhook hooks.slack.com/services/T0001/B0001/***"),
        ("slack:C0123", "slack:C0123"),
    ],
)
def test_key_label(key: str, label: str) -> None:
    assert key_label(key) == label
