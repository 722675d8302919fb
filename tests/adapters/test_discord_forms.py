"""Forms for long texts on Discord, through real discord.py and the fake Discord: a
subcommand without its text answers with a modal; the submitted modal runs through the
Desk like the typed subcommand (same authority rule), and line breaks survive."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.discord_bot import ALICE, GENERAL, GUILD, MALLORY, DiscordBot, discord_bot
from tests.fakes.clock import FakeClock

LONG = "Card payments fail at the last step.\n\nWhat you can do:\n- retry in a few minutes\n- or pay by bank transfer\n\nNext update by 15:00 UTC."  # noqa: E501

# As an embed shows it: the line breaks kept, list dashes escaped (markdown, shown as typed).
KEPT = "What you can do:\n\\- retry in a few minutes\n\\- or pay by bank transfer\n\nNext"


async def modal_of(bot: DiscordBot, sub: str, options: dict[str, Any], **kw: Any) -> Any:
    """Run `/incident <sub>`; the interaction, once the client answered with a modal."""
    ix = await bot.fake.slash(*_where(kw), "incident", sub, options)
    await bot.fake.wait_for(lambda: ix.responses)
    assert ix.responses[0]["type"] == 9, ix.responses
    return ix


def _where(kw: dict[str, Any]) -> tuple[Any, Any, Any]:
    return GUILD, kw.get("channel", GENERAL), kw.get("user", ALICE)


def fields(ix: Any) -> dict[str, dict[str, Any]]:
    """The modal's fields by custom_id (inside labels and action rows)."""
    found: dict[str, dict[str, Any]] = {}
    for top in ix.responses[0]["data"]["components"]:
        for component in [top.get("component"), *top.get("components", [])]:
            if component:
                found[component["custom_id"]] = component
    return found


async def test_open_without_a_title_opens_a_modal_that_opens_the_incident(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        shown = await modal_of(bot, "open", {})
        assert {"title", "severity", "description"} <= set(fields(shown))
        assert fields(shown)["description"]["style"] == 2  # a paragraph box

        done = await bot.fake.submit_modal(
            shown, {"title": "Checkout errors", "severity": ["sev1"], "description": LONG}
        )
        await done.wait_done()
        assert "Opened INC-1" in bot.answer(done)
        channel = bot.channel_named("inc-1-checkout-errors")
        await bot.wait_draft(channel["id"], "S1")
        [summary] = [e for e in bot.embeds(channel["id"]) if e["title"].startswith("INC-1")]
        assert "SEV1" in summary["description"]
        assert KEPT in summary["description"]


async def test_edit_without_text_opens_the_draft_and_the_edit_keeps_line_breaks(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        shown = await modal_of(bot, "edit", {"statement": "S1"}, channel=int(channel))
        box = fields(shown)["text"]
        assert box["style"] == 2 and box["value"].startswith("We are aware of an issue")

        done = await bot.fake.submit_modal(shown, {"text": LONG})
        await done.wait_done()
        assert "S1 is now at revision 2" in bot.answer(done)
        await bot.wait_draft(channel, "S1")
        drafts = [e for e in bot.embeds(channel) if (e.get("title") or "").startswith("S1 · ")]
        assert "(revision 2)" in drafts[-1]["title"]
        assert KEPT in drafts[-1]["description"]


async def test_edit_forms_follow_the_edit_rule(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        refused = await bot.fake.slash(
            *_where({"channel": int(channel), "user": MALLORY}),
            "incident",
            "edit",
            {"statement": "S1"},
        )
        await bot.fake.wait_for(lambda: refused.responses)
        assert refused.responses[0]["type"] == 4  # an answer, not a form
        [card] = refused.responses[0]["data"]["embeds"]
        assert "may \\`edit\\`" in card["description"] and refused.ephemeral

        missing = await bot.fake.slash(
            *_where({"channel": int(channel)}), "incident", "edit", {"statement": "S9"}
        )
        await bot.fake.wait_for(lambda: missing.responses)
        assert "no statement S9" in missing.responses[0]["data"]["embeds"][0]["description"]

        # A form opened while S1 was a draft, submitted after it was approved: the Desk
        # judges the submission as it would the typed command.
        shown = await modal_of(bot, "edit", {"statement": "S1"}, channel=int(channel))
        await bot.fake.react(channel, await bot.wait_draft(channel, "S1"), ALICE, "✅")
        await bot.fake.wait_for(
            lambda: any("S1 approved" in (e.get("description") or "") for e in bot.embeds(channel))
        )
        late = await bot.fake.submit_modal(shown, {"text": LONG})
        await late.wait_done()
        assert "it can no longer change" in bot.answer(late)


async def test_draft_with_nothing_opens_the_template_picker_and_a_text_box(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        shown = await modal_of(bot, "draft", {}, channel=int(channel))
        offered = [o["value"] for o in fields(shown)["template"]["options"]]
        assert "holding" in offered and fields(shown)["text"]["style"] == 2

        done = await bot.fake.submit_modal(shown, {"template": ["holding"]})
        await done.wait_done()
        assert "S2 drafted for INC-1" in bot.answer(done)

        again = await modal_of(bot, "draft", {}, channel=int(channel))
        written = await bot.fake.submit_modal(again, {"template": [], "text": LONG})
        await written.wait_done()
        await bot.wait_draft(channel, "S3")
        [s3] = [e for e in bot.embeds(channel) if (e.get("title") or "").startswith("S3 · ")]
        assert KEPT in s3["description"]
