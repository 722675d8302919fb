"""FakeSlack's Web API, driven by the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import json
import types
from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import FakeSlack

TOKEN = "xoxb-test-token"
METADATA = {"event_type": "candor_statement", "event_payload": {"incident": 42, "statement": 3}}


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel("C1", "incidents", members=("U1", "U2"))
        fake.add_channel("COLD", "old-news", is_archived=True)
        fake.add_channel("CPUB", "status-page", bot_is_member=False)
        fake.add_user("U1", "alice")
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=fake.base_url)


async def error_of(call: object) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call  # type: ignore[misc]
    return caught.value


async def test_auth_test_answers_the_bot_identity_bolt_needs(fake, client):
    answer = await client.auth_test()

    assert answer.data == {
        "ok": True,
        "url": "https://candor-test.slack.com/",
        "team": "Candor Test",
        "user": "candor",
        "team_id": "T1",
        "user_id": "UBOT",
        "bot_id": "BBOT",
        "is_enterprise_install": False,
    }
    assert "chat:write" in answer.headers["x-oauth-scopes"]
    call = fake.calls[0]
    assert (call.method, call.token, call.headers["Authorization"]) == (
        "auth.test",
        TOKEN,
        f"Bearer {TOKEN}",
    )


async def test_calls_are_recorded_with_args_from_query_form_or_json(fake, client):
    await client.conversations_create(name="inc-1-db-down")  # POST, args in the query string
    await client.chat_postMessage(channel="C1", text="hi")  # JSON body
    await client.api_call("chat.postMessage", data={"channel": "C1", "text": "form"})
    await client.conversations_history(channel="C1")  # GET

    assert [c.http_method for c in fake.calls] == ["POST", "POST", "POST", "GET"]
    assert fake.calls_to("conversations.create") == [{"name": "inc-1-db-down"}]
    assert fake.calls_to("chat.postMessage") == [
        {"channel": "C1", "text": "hi"},
        {"channel": "C1", "text": "form"},
    ]
    assert fake.calls[1].headers["Content-Type"] == "application/json;charset=utf-8"
    assert fake.calls[2].headers["Content-Type"] == "application/x-www-form-urlencoded"


async def test_token_rules(fake, client):
    no_token = AsyncWebClient(base_url=fake.base_url)
    assert (await error_of(no_token.auth_test())).response["error"] == "not_authed"
    app_token = AsyncWebClient(token="xapp-1-test", base_url=fake.base_url)
    assert (await error_of(app_token.auth_test())).response["error"] == "not_allowed_token_type"
    refused = client.apps_connections_open(app_token=TOKEN)
    assert (await error_of(refused)).response["error"] == "not_allowed_token_type"
    fake.valid_tokens = {"xoxb-other"}
    assert (await error_of(client.auth_test())).response["error"] == "invalid_auth"


async def test_create_channel_follows_slack_naming_rules(fake, client):
    created = await client.conversations_create(name="inc-7-api-latency")

    channel = created["channel"]
    assert channel["id"].startswith("C") and channel["name"] == "inc-7-api-latency"
    assert channel["is_member"] and channel["creator"] == "UBOT"
    assert fake.channel_by_name("inc-7-api-latency")["id"] == channel["id"]
    for name, error in [
        ("inc-7-api-latency", "name_taken"),
        ("old-news", "name_taken"),
        ("Inc 8", "invalid_name_specials"),
        ("inc-8-é", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("", "invalid_name_required"),
        ("--", "invalid_name_punctuation"),
    ]:
        assert (await error_of(client.conversations_create(name=name))).response["error"] == error
    assert (await client.conversations_create(name="x" * 80))["ok"]


async def test_invite_set_topic_info_and_join(fake, client):
    await client.conversations_invite(channel="C1", users=["U3", "U4"])
    assert fake.members("C1") == {"UBOT", "U1", "U2", "U3", "U4"}
    again = client.conversations_invite(channel="C1", users="U1,U3")
    assert (await error_of(again)).response["error"] == "already_in_channel"

    topic = await client.conversations_setTopic(channel="C1", topic="INC-7 · sev2 · investigating")
    assert topic["channel"]["topic"]["value"] == "INC-7 · sev2 · investigating"
    info = await client.conversations_info(channel="C1")
    assert info["channel"]["topic"]["value"] == "INC-7 · sev2 · investigating"

    outside = client.chat_postMessage(channel="CPUB", text="x")
    assert (await error_of(outside)).response["error"] == "not_in_channel"
    assert (await client.conversations_join(channel="CPUB"))["channel"]["is_member"]
    assert (await client.conversations_join(channel="CPUB"))["warning"] == "already_in_channel"
    assert (await client.chat_postMessage(channel="CPUB", text="x"))["ok"]


async def test_post_message_stores_everything_and_ts_increases(fake, client):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*INC-7*"}}]
    first = await client.chat_postMessage(
        channel="C1", text="INC-7", blocks=blocks, metadata=METADATA, unfurl_links=False
    )
    second = await client.chat_postMessage(channel="#incidents", text="later", unfurl_media=False)

    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    assert second["channel"] == "C1"
    assert first["message"]["blocks"] == blocks and first["message"]["bot_id"] == "BBOT"
    stored = fake.messages("C1")
    assert [m["text"] for m in stored] == ["INC-7", "later"]
    assert stored[0]["metadata"] == METADATA and stored[0]["unfurl_links"] is False
    assert stored[1]["unfurl_media"] is False and "unfurl_links" not in stored[1]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
async def test_post_message_refusals(client):
    cases = [
        (client.chat_postMessage(channel="CNOPE", text="x"), "channel_not_found"),
        (client.chat_postMessage(channel="COLD", text="x"), "is_archived"),
        (client.chat_postMessage(channel="C1", text=""), "no_text"),
        (client.chat_postMessage(channel="C1", text="x" * 40_001), "msg_too_long"),
        (
            client.chat_postMessage(channel="C1", text="x", blocks=[{"text": "no type"}]),
            "invalid_blocks",
        ),
        (
            client.chat_postMessage(channel="C1", text="x", metadata={"event_type": "x"}),
            "invalid_metadata_format",
        ),
    ]
    for call, error in cases:
        assert (await error_of(call)).response["error"] == error


async def test_direct_message_to_a_known_user_opens_a_dm(fake, client):
    posted = await client.chat_postMessage(channel="U1", text="your task is due")

    assert posted["channel"] == "D1"
    assert fake.messages("D1")[0]["text"] == "your task is due"


async def test_history_is_newest_first_with_limit_cursor_and_metadata_on_request(fake, client):
    await client.chat_postMessage(channel="C1", text="one", metadata=METADATA)
    form_metadata = json.dumps({"event_type": "candor_note", "event_payload": {"n": 2}})
    await client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "two", "metadata": form_metadata}
    )
    await client.chat_postMessage(channel="C1", text="three")

    page = await client.conversations_history(channel="C1", limit=2, include_all_metadata=True)
    assert [m["text"] for m in page["messages"]] == ["three", "two"]
    assert page["has_more"] and page["messages"][1]["metadata"]["event_type"] == "candor_note"
    cursor = page["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(
        channel="C1", cursor=cursor, include_all_metadata=True
    )
    assert [m["text"] for m in rest["messages"]] == ["one"] and not rest["has_more"]
    assert rest["messages"][0]["metadata"] == METADATA
    plain = await client.conversations_history(channel="C1")
    assert all("metadata" not in m for m in plain["messages"])
    assert all("unfurl_links" not in m for m in plain["messages"])


async def test_update_pin_react_and_ephemeral(fake, client):
    ts = (await client.chat_postMessage(channel="C1", text="draft S1", metadata=METADATA))["ts"]
    updated = await client.chat_update(channel="C1", ts=ts, text="approved S1")
    assert updated["message"]["text"] == "approved S1" and "edited" in updated["message"]
    assert fake.messages("C1")[0]["metadata"] == METADATA  # left-out fields are kept
    missing = client.chat_update(channel="C1", ts="1.000000", text="x")
    assert (await error_of(missing)).response["error"] == "message_not_found"
    someone_else = fake.add_message("C1", "I approve", user="U1")
    not_ours = client.chat_update(channel="C1", ts=someone_else, text="x")
    assert (await error_of(not_ours)).response["error"] == "cant_update_message"

    await client.pins_add(channel="C1", timestamp=ts)
    assert fake.pins("C1") == [ts]
    assert (await error_of(client.pins_add(channel="C1", timestamp=ts))).response[
        "error"
    ] == "already_pinned"
    await client.reactions_add(channel="C1", timestamp=ts, name="white_check_mark")
    again = client.reactions_add(channel="C1", timestamp=ts, name="white_check_mark")
    assert (await error_of(again)).response["error"] == "already_reacted"
    assert fake.reactions("C1", ts) == {"white_check_mark": ["UBOT"]}

    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert ephemeral["message_ts"] and fake.ephemerals[0]["text"] == "only you"
    stranger = client.chat_postEphemeral(channel="C1", user="U9", text="x")
    assert (await error_of(stranger)).response["error"] == "user_not_in_channel"


async def test_people_and_groups(fake, client):
    fake.usergroups = {"S1": ["U1", "U2"]}

    assert (await client.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]
    missing = client.usergroups_users_list(usergroup="S9")
    assert (await error_of(missing)).response["error"] == "no_such_subteam"
    user = (await client.users_info(user="U1"))["user"]
    assert user["name"] == "alice" and user["profile"]["display_name"] == "alice" and user["tz"]
    assert (await error_of(client.users_info(user="U9"))).response["error"] == "user_not_found"


async def test_views_open_update_publish(fake, client):
    modal = {
        "type": "modal",
        "callback_id": "open_incident",
        "title": {"type": "plain_text", "text": "Open incident"},
        "blocks": [],
    }
    opened = (await client.views_open(trigger_id="1.2.abc", view=modal))["view"]
    assert opened["id"] in fake.views and opened["callback_id"] == "open_incident"
    updated = await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert updated["view"]["id"] == opened["id"] and updated["view"]["hash"] != opened["hash"]
    stale = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)
    assert (await error_of(stale)).response["error"] == "hash_conflict"
    home = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert home["view"]["type"] == "home"


async def test_injected_error_raises_slack_api_error_once(fake, client):
    fake.fail("chat.postMessage", "fatal_error")

    error = await error_of(client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 200 and error.response["error"] == "fatal_error"
    assert (await client.chat_postMessage(channel="C1", text="x"))["ok"]
    assert [c.status for c in fake.calls] == [200, 200]


async def test_429_without_a_retry_handler_surfaces_retry_after(fake, client):
    fake.rate_limit("chat.postMessage", retry_after=7)

    error = await error_of(client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 429 and error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "7"


async def test_429_storm_is_retried_by_the_rate_limit_handler(fake, monkeypatch):
    # The handler sleeps Retry-After + random.random(); take the jitter out.
    monkeypatch.setattr(builtin_async_handlers, "random", types.SimpleNamespace(random=lambda: 0.0))
    handler = AsyncRateLimitErrorRetryHandler(max_retry_count=3)  # default is 1 retry
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url, retry_handlers=[handler])
    fake.rate_limit("chat.postMessage", times=3, retry_after=0)

    posted = await client.chat_postMessage(channel="C1", text="eventually")

    assert posted["ok"]
    assert [c.status for c in fake.calls] == [429, 429, 429, 200]
    assert [m["text"] for m in fake.messages("C1")] == ["eventually"]


async def test_server_errors_are_html_so_the_error_has_no_code(fake, client):
    fake.server_error("chat.postMessage", status=503)

    error = await error_of(client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 503 and error.response.get("error") is None
    assert fake.messages("C1") == []


async def test_per_channel_rate_throttles_posts_to_one_channel(fake, client):
    fake.add_channel("C2", "other")
    fake.per_channel_rate(2)

    for _ in range(2):
        await client.chat_postMessage(channel="C1", text="ok")
    error = await error_of(client.chat_postMessage(channel="C1", text="too fast"))
    assert error.response.status_code == 429 and error.response.headers["Retry-After"] == "1"
    assert (await client.chat_postMessage(channel="C2", text="other channel"))["ok"]
