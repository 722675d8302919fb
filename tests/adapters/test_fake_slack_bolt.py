"""FakeSlack under the real Socket Mode client and a real slack_bolt AsyncApp (HTTP and
Socket Mode), plus SlackSigner against bolt's request verification."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import FakeSlack, SlackSigner, payloads

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-test"
SECRET = "signing-secret"
SIX_MINUTES = 6 * 60


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel("C1", "incidents", members=("U1",))
        yield fake


Seen = asyncio.Queue[dict[str, Any]]


async def next_seen(seen: Seen) -> dict[str, Any]:
    """What a listener saw next (listeners run after bolt has acked)."""
    async with asyncio.timeout(5):
        return await seen.get()


def bolt_app(fake: FakeSlack, seen: Seen) -> AsyncApp:
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url),
    )

    @app.command("/incident")
    async def incident(ack, command, respond):  # type: ignore[no-untyped-def]
        await ack()
        await seen.put(command)
        await respond(f"received: {command['text']}")

    @app.event("reaction_added")
    async def reaction(event):  # type: ignore[no-untyped-def]
        await seen.put(event)

    @app.view("open_incident")
    async def submitted(ack, view):  # type: ignore[no-untyped-def]
        await ack()
        await seen.put(view["state"]["values"])

    return app


@pytest.fixture
async def http(fake: FakeSlack) -> AsyncIterator[tuple[TestClient, Seen]]:
    seen: Seen = asyncio.Queue()
    app = bolt_app(fake, seen)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    async with TestClient(TestServer(web_app)) as client:
        yield client, seen


async def post(client: TestClient, body: str, headers: dict[str, str]) -> tuple[int, str]:
    response = await client.post("/slack/events", data=body, headers=headers)
    return response.status, await response.text()


def test_signer_matches_the_sdk_verifier() -> None:
    body = payloads.event_body(payloads.reaction_event("U1", "C1", "1.2", "x"))
    headers = SlackSigner(SECRET).headers(body)

    assert headers["Content-Type"] == "application/json"
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)


def test_token_must_sit_on_the_client_when_a_client_is_given(fake: FakeSlack) -> None:
    with pytest.raises(BoltError):
        AsyncApp(
            token=BOT_TOKEN, signing_secret=SECRET, client=AsyncWebClient(base_url=fake.base_url)
        )


async def test_signed_slash_command_is_acked_and_respond_reaches_the_fake(fake, http):
    client, seen = http
    body = fake.slash_command_body("open db down sev2", "U1", "C1")

    assert await post(client, body, SlackSigner(SECRET).headers(body)) == (200, "")
    response = await fake.wait_for_response()
    assert response.body == {"text": "received: open db down sev2"}
    assert response.channel_id == "C1"
    command = await next_seen(seen)
    assert command["text"] == "open db down sev2" and command["user_id"] == "U1"
    assert [c.method for c in fake.calls] == ["auth.test"]  # bolt's lazy, cached auth.test


async def test_forged_and_stale_requests_are_rejected(fake, http):
    client, seen = http
    body = fake.slash_command_body("status", "U1", "C1")

    forged = SlackSigner("not-the-secret").headers(body)
    assert (await post(client, body, forged))[0] == 401
    stale = SlackSigner(SECRET).headers(body, timestamp=int(time.time()) - SIX_MINUTES)
    assert (await post(client, body, stale))[0] == 401
    assert seen.empty() and fake.calls == []


async def test_signed_event_and_view_submission_reach_their_listeners(fake, http):
    client, seen = http
    signer = SlackSigner(SECRET)
    event = payloads.event_body(payloads.reaction_event("U1", "C1", "1700000000.000100", "x"))
    values = {"title": {"value": "DB down"}}
    view = payloads.view_submission_body("open_incident", values, "U1", private_metadata="C1")

    assert (await post(client, event, signer.headers(event)))[0] == 200
    assert (await post(client, view, signer.headers(view)))[0] == 200
    reaction = await next_seen(seen)
    assert reaction["item"] == {"type": "message", "channel": "C1", "ts": "1700000000.000100"}
    assert await next_seen(seen) == {
        "title": {"value": {"type": "plain_text_input", "value": "DB down"}}
    }


async def test_bolt_http_mode_drops_form_bodies_containing_the_word_payload(fake, http):
    """Characterises a bolt quirk (1.30): parse_body treats any form body containing
    "payload" as `payload=<json>`, finds no such field and routes nothing (404)."""
    client, seen = http
    body = fake.slash_command_body("draft the payload is wrong", "U1", "C1")

    assert (await post(client, body, SlackSigner(SECRET).headers(body)))[0] == 404
    assert seen.empty()


async def test_socket_mode_client_connects_gets_hello_and_acks(fake):
    received: list[dict[str, Any]] = []
    hello = asyncio.Event()

    async def on_message(client: Any, message: dict[str, Any], raw: str | None) -> None:
        received.append(message)
        if message.get("type") == "hello":
            hello.set()

    async def on_request(client: SocketModeClient, request: SocketModeRequest) -> None:
        reply = {"text": f"ack {request.type}"}
        await client.send_socket_mode_response(SocketModeResponse(request.envelope_id, reply))

    client = SocketModeClient(APP_TOKEN, web_client=AsyncWebClient(base_url=fake.base_url))
    client.message_listeners.append(on_message)
    client.socket_mode_request_listeners.append(on_request)
    try:
        await client.connect()
        await asyncio.wait_for(hello.wait(), 5)
        command = fake.slash_command_payload("status", "U1", "C1")
        ack = await fake.socket_push("slash_commands", command)
        assert ack["payload"] == {"text": "ack slash_commands"}
        assert received[1]["payload"] == command and received[1]["accepts_response_payload"]

        await fake.socket_disconnect()
        event = payloads.event_payload(payloads.reaction_event("U1", "C1", "1.2", "x"))
        ack = await fake.socket_push("events_api", event)
        assert ack["payload"] == {"text": "ack events_api"}
    finally:
        await client.close()
    assert fake.socket_connections == 2
    assert [c.method for c in fake.calls] == ["apps.connections.open"] * 2
    assert received[0]["connection_info"] == {"app_id": "A1"}


async def test_bolt_socket_mode_handler_acks_and_responds(fake):
    handler = AsyncSocketModeHandler(bolt_app(fake, asyncio.Queue()), APP_TOKEN)
    try:
        await handler.connect_async()
        ack = await fake.socket_push(
            "slash_commands", fake.slash_command_payload("status", "U1", "C1")
        )
        assert set(ack) == {"envelope_id"}  # ack() without text: no payload
        assert (await fake.wait_for_response()).body == {"text": "received: status"}

        mention = {"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1", "ts": "1.1"}
        fake.timeout = 0.2
        with pytest.raises(TimeoutError, match="no ack"):  # no listener: bolt never acks
            await fake.socket_push("events_api", payloads.event_payload(mention))
    finally:
        await handler.close_async()
