"""/incident on Discord: the synced command matches the grammar, options are typed,
autocomplete offers the incident's own statements and tasks, minimal intents."""

from __future__ import annotations

from typing import Any

import discord

from commands.grammar.verbs import VERBS
from tests.adapters.discord_bot import ALICE, BOB, GENERAL, GUILD, discord_bot
from tests.fakes.clock import FakeClock

USER, ROLE_OPTION, STRING = 6, 8, 3


async def test_every_verb_is_a_subcommand_with_typed_options(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        [incident] = bot.fake.synced_commands(GUILD)
        subcommands = {o["name"]: o for o in incident["options"]}
        assert set(subcommands) == set(VERBS)
        options = {o["name"]: o for o in subcommands["open"]["options"]}
        assert [c["value"] for c in options["severity"]["choices"]] == [
            "sev1", "sev2", "sev3", "sev4",
        ]  # fmt: skip
        assert options["commander"]["type"] == USER
        assert {o["name"]: o["type"] for o in subcommands["task"]["options"]}["owner"] == USER
        approve = {o["name"]: o for o in subcommands["approve"]["options"]}
        assert approve["statement"]["autocomplete"] is True
        assert [c["value"] for c in {
            o["name"]: o for o in subcommands["draft"]["options"]
        }["template"]["choices"]][:2] == ["ack", "holding"]  # fmt: skip
        wanted = discord.Intents.none()
        wanted.guilds = wanted.guild_reactions = True
        assert bot.fake.intents == wanted.value  # no message content, no members


async def test_autocomplete_offers_drafts_tasks_and_open_incidents(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = int(await bot.open_incident("Login errors"))
        await bot.slash("task", {"owner": str(BOB), "due": "30m", "title": "Roll back"},
                        channel=channel)  # fmt: skip
        drafts = await bot.fake.autocomplete(
            GUILD, channel, ALICE, "incident", "approve", {"statement": ""}, focused="statement"
        )
        assert [c["value"] for c in drafts] == ["S1r1"]  # a vote names the wording shown
        tasks = await bot.fake.autocomplete(
            GUILD, channel, ALICE, "incident", "done", {"task": "roll"}, focused="task"
        )
        assert [c["value"] for c in tasks] == ["1"] and "Roll back" in tasks[0]["name"]
        incidents = await bot.fake.autocomplete(
            GUILD, GENERAL, ALICE, "incident", "status", {"incident": "log"}, focused="incident"
        )
        assert [c["value"] for c in incidents] == ["INC-1"]
        status = await bot.slash("status", {"incident": "INC-1"}, channel=GENERAL)
        assert "Login errors" in bot.answer(status)


async def test_slash_approve_is_the_fallback_for_reactions(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = int(await bot.open_incident())
        ix = await bot.slash("approve", {"statement": "S1r1"}, user=BOB, channel=channel)
        assert "vote was counted" in bot.answer(ix).lower()
        await bot.wait_deliveries("hub")


async def test_bad_option_gets_the_usage_line(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = int(await bot.open_incident())
        ix = await bot.slash("cadence", {"every": "soon"}, channel=channel)
        assert "/incident cadence <duration>" in bot.answer(ix)


def test_readme_invite_url_asks_for_exactly_what_the_bot_uses() -> None:
    from pathlib import Path

    from bot.discord.invite import PERMISSIONS, SCOPES

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    urls = [line.strip() for line in readme.splitlines() if "discord.com/oauth2/authorize" in line]
    assert urls, "the README shows the invite URL"
    for url in urls:
        assert f"permissions={PERMISSIONS.value}" in url
        assert "scope=" + "+".join(SCOPES) in url


async def test_a_rejected_discord_token_stops_the_start_with_a_plain_message(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    import pytest

    from bot.app import StartupError, start
    from tests.adapters.discord_bot import point_at_fake, settings
    from tests.fakes.discord import FakeDiscord

    async with FakeDiscord("the-installed-token") as fake:
        point_at_fake(monkeypatch)
        with pytest.raises(StartupError) as refused:
            await start(settings(fake, database_url), clock=clock)
    assert str(refused.value) == "Discord: DISCORD_BOT_TOKEN was rejected."


async def test_open_says_which_permission_the_bot_lacks_and_creates_nothing(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    from tests.fakes.discord import FakeDiscord

    send_and_embed = discord.Permissions(send_messages=True, embed_links=True).value

    def no_manage_channels(fake: FakeDiscord) -> None:
        fake.world.guild(str(GUILD)).permissions[fake.bot_user_id] = send_and_embed

    async with discord_bot(database_url, clock, monkeypatch, no_manage_channels) as bot:
        channels = len(bot.fake.channels(GUILD))
        ix = await bot.slash("open", {"title": "Payments failing"})
        assert "The bot lacks Manage Channels here" in bot.answer(ix)
        assert int(ix.followups[-1].get("flags") or 0) & (1 << 6)  # only the asker sees it
        assert len(bot.fake.channels(GUILD)) == channels
        list_ = await bot.slash("list")
        assert "No open incidents" in bot.answer(list_)


async def test_a_rejected_discord_token_lets_go_of_slack_too(
    database_url: str, clock: FakeClock, monkeypatch: Any, caplog: Any
) -> None:
    """Slack checked and built, then Discord refuses: the start stops with Discord's line,
    and Slack's connections are closed (no "Unclosed connector" after the message)."""
    import gc

    import pytest

    from bot.app import StartupError, start
    from tests.adapters.discord_bot import point_at_fake, settings
    from tests.fakes.discord import FakeDiscord
    from tests.fakes.slack import FakeSlack

    async with FakeSlack() as slack, FakeDiscord("the-installed-token") as fake:
        point_at_fake(monkeypatch)
        both = settings(
            fake,
            database_url,
            slack_bot_token="xoxb-test",
            slack_signing_secret="signing-secret",
            slack_api_url=slack.base_url,
        )
        with pytest.raises(StartupError) as refused:
            await start(both, clock=clock)
        assert [call.method for call in slack.calls] == ["auth.test"]  # Slack was built first
    said = str(refused.value)
    del refused  # its traceback holds the adapters; let them be collected now
    gc.collect()
    assert said == "Discord: DISCORD_BOT_TOKEN was rejected."
    assert "Unclosed" not in caplog.text
