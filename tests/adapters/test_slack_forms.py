"""Forms for long texts on Slack, through real slack_bolt and the fake Slack: a command
typed without its text opens a modal; what the modal submits goes through the Desk as
the typed command would (the same authority rule), and line breaks survive."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.adapters.slack_bot import GENERAL, SlackBot, open_modal_values, slack_bot
from tests.fakes.clock import FakeClock

LONG = "Card payments fail at the last step.\n\nWhat you can do:\n- retry in a few minutes\n- or pay by bank transfer\n\nNext update by 15:00 UTC."  # noqa: E501


async def opened(bot: SlackBot, count: int) -> tuple[dict[str, Any], str]:
    """The `count`-th modal opened, and its id in the fake."""
    await bot.fake.wait_for_call("views.open", count)
    view_id = list(bot.fake.views)[count - 1]
    return bot.fake.views[view_id], view_id


def box(view: dict[str, Any]) -> dict[str, Any]:
    [text] = [b for b in view["blocks"] if b["block_id"].startswith("text")]
    element: dict[str, Any] = text["element"]
    return element


async def test_open_without_a_title_opens_the_open_modal(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        assert await bot.command("open", channel=GENERAL) == 200
        view, _ = await opened(bot, 1)
        assert view["callback_id"] == "candor_open"
        assert bot.fake.responses == [], "a modal, not a usage error"


async def test_edit_without_text_opens_the_draft_in_a_modal_and_keeps_line_breaks(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        assert await bot.command("edit S1", channel=channel) == 200
        view, _ = await opened(bot, 1)
        assert view["callback_id"] == "candor_edit"
        assert box(view)["multiline"] is True
        assert box(view)["initial_value"].startswith("We are aware of an issue affecting")

        status, ack = await bot.view(
            "candor_edit", {"text": {"value": LONG}}, "UALICE", view["private_metadata"]
        )
        assert (status, ack) == (200, "")
        await bot.wait_ephemeral("UALICE", "S1 is now at revision 2")
        ts = await bot.wait_draft(channel, "S1")
        [draft] = [m for m in bot.fake.messages(channel) if m["ts"] == ts]
        assert "revision 2" in draft["text"]
        body = json.dumps(draft["blocks"])
        assert json.dumps("What you can do:\n- retry in a few minutes\n")[1:-1] in body


async def test_the_edit_modal_obeys_the_edit_rule(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Carol holds no role and wrote nothing: no form for her, and a form she somehow
    submits is refused by the Desk like `/incident edit S1 …` typed."""
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        assert await bot.command("edit S1", user="UCAROL", channel=channel) == 200
        response = await bot.fake.wait_for_response(2)
        assert "may `edit`" in response.body["text"]
        assert bot.fake.calls_to("views.open") == []

        await bot.view("candor_edit", {"text": {"value": LONG}}, "UCAROL", f"{GENERAL} INC-1 S1")
        await bot.wait_ephemeral("UCAROL", "may `edit`")
        ts = await bot.wait_draft(channel, "S1")
        [draft] = [m for m in bot.fake.messages(channel) if m["ts"] == ts]
        assert "revision 1" in draft["text"]

        assert await bot.command("edit S9", channel=channel) == 200
        response = await bot.fake.wait_for_response(3)
        assert "no statement S9" in response.body["text"]


async def test_a_template_picked_in_the_draft_modal_fills_the_box_to_edit(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        assert await bot.command("draft", channel=channel) == 200
        view, view_id = await opened(bot, 1)
        picker = view["blocks"][0]
        assert picker["dispatch_action"] is True

        holding = {"type": "static_select", "selected_option": {"value": "holding"}}
        action = {"action_id": picker["element"]["action_id"], "block_id": "template", **holding}
        assert await bot.act(view_id, action, "UALICE") == 200
        update = await bot.fake.wait_for_call("views.update")
        assert update["view_id"] == view_id
        filled = bot.fake.views[view_id]
        text = box(filled)["initial_value"]
        assert "Payments failing" in text and "Next update" in text
        block_id = next(b["block_id"] for b in filled["blocks"] if b["block_id"] != "template")
        assert block_id == "text:holding"  # a new box, so Slack shows the filled text

        # Sent unchanged: the template itself (pre-approved wording, one approver).
        unchanged = {"template": {"value": holding}, block_id: {"value": text}}
        status, _ = await bot.view("candor_draft", unchanged, "UALICE", filled["private_metadata"])
        assert status == 200
        ts = await bot.wait_draft(channel, "S2")
        [draft] = [m for m in bot.fake.messages(channel) if m["ts"] == ts]
        assert "Pre-approved wording" in draft["text"]

        # Edited: the person's own words, line breaks kept.
        edited = {"template": {"value": holding}, block_id: {"value": f"{text}\n\nPS: sorry."}}
        status, _ = await bot.view("candor_draft", edited, "UALICE", filled["private_metadata"])
        assert status == 200
        ts = await bot.wait_draft(channel, "S3")
        [draft] = [m for m in bot.fake.messages(channel) if m["ts"] == ts]
        assert "Pre-approved wording" not in draft["text"]
        assert "\\n\\nPS: sorry." in json.dumps(draft["blocks"])


@pytest.mark.parametrize(
    ("title", "said"),
    [("Login broken sev 1", "a severity: choose it"), ("支付失败 sev9", "is not a severity")],
)
async def test_a_severity_typed_into_the_open_modals_title_is_refused_in_the_modal(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, title: str, said: str
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        status, ack = await bot.view("candor_open", open_modal_values(title), "UALICE", GENERAL)
        assert status == 200
        answer = json.loads(ack)
        assert answer["response_action"] == "errors" and said in answer["errors"]["title"]
        await bot.settle()
        assert bot.fake.calls_to("conversations.create") == []
