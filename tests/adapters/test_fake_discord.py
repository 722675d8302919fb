"""FakeDiscord under the real discord.py 2.7: a small Client with an app-command tree
logs in, connects, syncs, answers slash commands and autocomplete, manages channels and
messages, sees reactions, meets REST faults and survives a dropped gateway connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
import yarl
from discord import app_commands

from tests.fakes.discord import FakeDiscord

TOKEN = "bot-token"
GUILD = 800_000_000_000_000_001
OWNER = 800_000_000_000_000_010
RESPONDER = 800_000_000_000_000_011
COMMANDER_ROLE = 800_000_000_000_000_020
GENERAL = 800_000_000_000_000_030
NEWS = 800_000_000_000_000_031
TIMEOUT = 5.0


class Bot(discord.Client):
    """What an adapter would be: intents guilds + guild_reactions, an /incident group."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_reactions = True
        super().__init__(intents=intents, guild_ready_timeout=0.05, max_ratelimit_timeout=30)
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(incident_group(self), guild=discord.Object(GUILD))
        self.seen: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every re-IDENTIFY; a test has no such time."""

    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        await self.seen.put(("channel", channel))

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        await self.seen.put(("add", event))

    async def on_raw_reaction_remove(self, event: discord.RawReactionActionEvent) -> None:
        await self.seen.put(("remove", event))

    async def next_seen(self) -> tuple[str, Any]:
        async with asyncio.timeout(TIMEOUT):
            return await self.seen.get()


def incident_group(bot: Bot) -> app_commands.Group:
    group = app_commands.Group(name="incident", description="Incident commands")

    @group.command(name="open", description="Open an incident")
    @app_commands.choices(
        severity=[app_commands.Choice(name=s, value=s) for s in ("sev1", "sev2", "sev3", "sev4")]
    )
    async def open_(
        interaction: discord.Interaction,
        title: str,
        severity: app_commands.Choice[str] | None = None,
        user: discord.Member | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await bot.seen.put(("open", (title, severity and severity.value, user)))
        await interaction.followup.send(f"Opened: {title}", ephemeral=True)

    @group.command(name="status", description="Show the incident")
    async def status(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="INC-1 investigating")

    @group.command(name="approve", description="Approve a statement")
    async def approve(interaction: discord.Interaction, statement: str) -> None:
        if statement not in ("S1", "S2"):
            await interaction.response.send_message(
                f"No statement {statement}. Try /incident approve S1", ephemeral=True
            )
            return
        await interaction.response.send_message(f"Approved {statement}")

    @approve.autocomplete("statement")
    async def statements(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=f"{s} draft", value=s)
            for s in ("S1", "S2", "S10")
            if s.startswith(current)
        ]

    return group


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=TOKEN) as fake:
        monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
        monkeypatch.setattr(
            discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url)
        )
        fake.add_guild(GUILD, name="Acme", owner_id=OWNER)
        fake.add_role(GUILD, COMMANDER_ROLE, "commander")
        fake.add_member(GUILD, OWNER, "olive")
        fake.add_member(GUILD, RESPONDER, "rita", roles=[COMMANDER_ROLE])
        fake.add_channel(GUILD, GENERAL, "general")
        fake.add_channel(GUILD, NEWS, "status", type=5)
        yield fake


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[Bot]:
    bot = Bot()
    await bot.login(TOKEN)
    running = asyncio.create_task(bot.connect(reconnect=True))
    async with asyncio.timeout(TIMEOUT):
        await bot.wait_until_ready()
    yield bot
    await bot.close()
    async with asyncio.timeout(TIMEOUT):
        await running


async def test_login_connect_and_ready(fake: FakeDiscord, bot: Bot) -> None:
    await fake.wait_ready()
    guild = bot.get_guild(GUILD)
    assert guild is not None and guild.name == "Acme"
    assert bot.user is not None and str(bot.user.id) == fake.bot_user_id
    assert {c.name for c in guild.channels} == {"general", "status"}
    assert guild.member_count == 3 and guild.me is not None
    assert fake.identifies == 1
    assert fake.intents == (discord.Intents.guilds.flag | discord.Intents.guild_reactions.flag)
    assert fake.gateway.heartbeats >= 1


async def synced(bot: Bot) -> list[app_commands.AppCommand]:
    return await bot.tree.sync(guild=discord.Object(GUILD))


async def test_sync_stores_the_definitions_with_ids(fake: FakeDiscord, bot: Bot) -> None:
    commands = await synced(bot)
    assert [c.name for c in commands] == ["incident"]
    stored = fake.synced_commands(GUILD)
    assert stored[0]["id"] == str(commands[0].id)
    subcommands = {o["name"]: o for o in stored[0]["options"]}
    assert set(subcommands) == {"open", "status", "approve"}
    assert [o["type"] for o in subcommands["open"]["options"]] == [3, 3, 6]
    again = await synced(bot)
    assert again[0].id == commands[0].id  # a re-sync keeps the command's id


async def test_slash_defer_then_followup(fake: FakeDiscord, bot: Bot) -> None:
    await synced(bot)
    ix = await fake.slash(
        GUILD,
        GENERAL,
        OWNER,
        "incident",
        "open",
        {"title": "DB down", "severity": "sev2", "user": RESPONDER},
    )
    await ix.wait_done()
    assert ix.responses == [{"type": 5, "data": {"flags": 64}}]
    assert [(m["content"], m["flags"]) for m in ix.followups] == [("Opened: DB down", 64)]
    kind, (title, severity, user) = await bot.next_seen()
    assert (kind, title, severity) == ("open", "DB down", "sev2")
    assert isinstance(user, discord.Member) and user.id == RESPONDER
    assert [r.id for r in user.roles if not r.is_default()] == [COMMANDER_ROLE]
    assert fake.messages(GENERAL) == []  # ephemeral: nothing in the channel


async def test_ephemeral_error_and_public_reply(fake: FakeDiscord, bot: Bot) -> None:
    await synced(bot)
    wrong = await fake.slash(GUILD, GENERAL, OWNER, "incident", "approve", {"statement": "S9"})
    await wrong.wait_done()
    assert wrong.responses[0]["type"] == 4 and wrong.ephemeral
    assert "Try /incident approve S1" in wrong.messages[0]["content"]
    right = await fake.slash(GUILD, GENERAL, OWNER, "incident", "approve", {"statement": "S1"})
    await right.wait_done()
    assert not right.ephemeral
    [shown] = fake.messages(GENERAL)
    assert shown["content"] == "Approved S1" and shown["interaction_metadata"]["id"] == right.id


async def test_public_defer_then_edit_original(fake: FakeDiscord, bot: Bot) -> None:
    await synced(bot)
    ix = await fake.slash(GUILD, GENERAL, RESPONDER, "incident", "status")
    await ix.wait_done()
    assert ix.responses == [{"type": 5}]
    assert [m["content"] for m in ix.followups] == ["INC-1 investigating"]
    [shown] = fake.messages(GENERAL)  # the "thinking..." message, edited in place
    assert (shown["content"], shown["flags"]) == ("INC-1 investigating", 0)


async def test_slash_rejects_what_the_client_never_synced(fake: FakeDiscord, bot: Bot) -> None:
    with pytest.raises(LookupError, match="not synced"):
        await fake.slash(GUILD, GENERAL, OWNER, "incident", "open", {"title": "x"})
    await synced(bot)
    with pytest.raises(LookupError, match="no option"):
        await fake.slash(GUILD, GENERAL, OWNER, "incident", "open", {"titel": "x"})
    with pytest.raises(LookupError, match="not one of"):
        await fake.slash(
            GUILD, GENERAL, OWNER, "incident", "open", {"title": "x", "severity": "sev9"}
        )


async def test_autocomplete_returns_the_clients_choices(fake: FakeDiscord, bot: Bot) -> None:
    await synced(bot)
    choices = await fake.autocomplete(
        GUILD, GENERAL, OWNER, "incident", "approve", {"statement": "S1"}, focused="statement"
    )
    assert choices == [{"name": "S1 draft", "value": "S1"}, {"name": "S10 draft", "value": "S10"}]


async def test_create_category_and_channel_with_overwrites(fake: FakeDiscord, bot: Bot) -> None:
    guild = bot.get_guild(GUILD)
    assert guild is not None
    category = await guild.create_category("Incidents")
    secret: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite] = {
        guild.default_role: discord.PermissionOverwrite(view_channel=False),
        guild.me: discord.PermissionOverwrite(view_channel=True, send_messages=True),
    }
    channel = await guild.create_text_channel(
        "INC 42 DB down", category=category, overwrites=secret, topic="sev2"
    )
    assert channel.name == "inc-42-db-down" and channel.category_id == category.id
    stored = fake.channel(channel.id)
    assert stored["parent_id"] == str(category.id) and stored["topic"] == "sev2"
    view = discord.Permissions(view_channel=True).value
    everyone = next(o for o in stored["permission_overwrites"] if o["id"] == str(GUILD))
    assert (everyone["type"], everyone["deny"]) == (0, str(view))
    commander = guild.get_role(COMMANDER_ROLE)
    assert commander is not None
    await channel.set_permissions(commander, view_channel=True)
    await channel.edit(topic="sev1")
    stored = fake.channel(channel.id)
    assert stored["topic"] == "sev1"
    assert any(
        o["id"] == str(COMMANDER_ROLE) and o["type"] == 0 for o in stored["permission_overwrites"]
    )
    kind, created = await bot.next_seen()  # CHANNEL_CREATE reached the client too
    assert (kind, created.id) == ("channel", category.id)


async def test_embed_with_no_allowed_mentions_pings_nobody(fake: FakeDiscord, bot: Bot) -> None:
    channel = bot.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    text = f"@everyone <@{RESPONDER}> <@&{COMMANDER_ROLE}> see below"
    embed = discord.Embed(title="INC-1", description="DB down")
    await channel.send(text, embed=embed, allowed_mentions=discord.AllowedMentions.none())
    await channel.send(text)  # no allowed_mentions: everything pings
    quiet, loud = fake.messages(GENERAL)
    assert quiet["embeds"][0]["title"] == "INC-1" and quiet["author"]["id"] == fake.bot_user_id
    assert (quiet["mention_everyone"], quiet["mentions"], quiet["mention_roles"]) == (False, [], [])
    assert loud["mention_everyone"] is True
    assert [u["id"] for u in loud["mentions"]] == [str(RESPONDER)]
    assert loud["mention_roles"] == [str(COMMANDER_ROLE)]


async def test_enforce_nonce_returns_the_first_message(fake: FakeDiscord, bot: Bot) -> None:
    channel = bot.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("update 1", nonce="stmt-7-rev-1")
    again = await channel.send("update 1", nonce="stmt-7-rev-1")
    assert again.id == first.id and len(fake.messages(GENERAL)) == 1
    assert fake.messages(GENERAL)[0]["nonce"] == "stmt-7-rev-1"
    assert fake.calls_to("POST /channels/{channel_id}/messages")[0].json["enforce_nonce"]


async def test_pin_and_crosspost(fake: FakeDiscord, bot: Bot) -> None:
    news = bot.get_channel(NEWS)
    general = bot.get_channel(GENERAL)
    assert isinstance(news, discord.TextChannel) and isinstance(general, discord.TextChannel)
    statement = await news.send("We are investigating.")
    await statement.pin()
    await statement.publish()
    assert fake.pins(NEWS) == [str(statement.id)]
    assert fake.crossposts == [str(statement.id)]
    assert fake.message(NEWS, statement.id)["pinned"] is True
    elsewhere = await general.send("not news")
    with pytest.raises(discord.HTTPException) as refused:
        await elsewhere.publish()
    assert refused.value.status == 400 and fake.crossposts == [str(statement.id)]
    assert [m.id async for m in news.pins()] == [statement.id]


async def test_raw_reactions_on_an_uncached_message(fake: FakeDiscord, bot: Bot) -> None:
    old = fake.add_message(GENERAL, OWNER, "S1: draft statement")
    await fake.react(GENERAL, old["id"], RESPONDER, "✅")
    kind, added = await bot.next_seen()
    assert kind == "add" and added.message_id == int(old["id"]) and str(added.emoji) == "✅"
    assert added.member is not None and COMMANDER_ROLE in [r.id for r in added.member.roles]
    await fake.unreact(GENERAL, old["id"], RESPONDER, "✅")
    kind, removed = await bot.next_seen()
    assert kind == "remove" and removed.user_id == RESPONDER and removed.member is None
    assert fake.reactions(GENERAL, old["id"]) == {}


async def test_bot_reactions_are_stored(fake: FakeDiscord, bot: Bot) -> None:
    channel = bot.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("S2 draft")
    await message.add_reaction("✅")
    await message.add_reaction("❌")
    assert fake.reactions(GENERAL, message.id) == {
        "✅": [fake.bot_user_id],
        "❌": [fake.bot_user_id],
    }
    await message.remove_reaction("❌", discord.Object(int(fake.bot_user_id)))
    assert list(fake.reactions(GENERAL, message.id)) == ["✅"]


POST_MESSAGE = "POST /channels/{channel_id}/messages"


async def general(bot: Bot) -> discord.TextChannel:
    channel = bot.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_403_and_404_surface_as_forbidden_and_not_found(fake: FakeDiscord, bot: Bot) -> None:
    channel = await general(bot)
    fake.fail(POST_MESSAGE, channel_id=GENERAL)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("hello")
    assert (forbidden.value.code, forbidden.value.text) == (50013, "Missing Permissions")
    fake.fail(POST_MESSAGE, 404, 10003, "Unknown Channel")
    with pytest.raises(discord.NotFound) as missing:
        await channel.send("hello")
    assert missing.value.code == 10003
    await channel.send("third time lucky")  # faults are used up
    assert [m["content"] for m in fake.messages(GENERAL)] == ["third time lucky"]
    with pytest.raises(discord.NotFound) as unknown_channel:
        await bot.fetch_channel(123)
    assert unknown_channel.value.code == 10003


async def test_429_beyond_the_limit_raises_rate_limited(fake: FakeDiscord, bot: Bot) -> None:
    channel = await general(bot)
    fake.rate_limit(POST_MESSAGE, retry_after=60.0)
    with pytest.raises(discord.RateLimited) as limited:
        await channel.send("hello")
    assert limited.value.retry_after == 60.0
    [call] = fake.calls_to(POST_MESSAGE)
    assert call.status == 429 and fake.messages(GENERAL) == []


async def test_429_under_the_limit_is_waited_out_and_retried(fake: FakeDiscord, bot: Bot) -> None:
    channel = await general(bot)
    fake.rate_limit(POST_MESSAGE, retry_after=0.01)
    sent = await channel.send("hello")
    assert [c.status for c in fake.calls_to(POST_MESSAGE)] == [429, 200]
    assert [m["id"] for m in fake.messages(GENERAL)] == [str(sent.id)]


async def test_server_error_and_lost_answer(fake: FakeDiscord, bot: Bot) -> None:
    channel = await general(bot)
    fake.fail(POST_MESSAGE, 503, 0, "", processed=True)
    with pytest.raises(discord.DiscordServerError):
        await channel.send("maybe sent", nonce="n-1")
    assert [m["content"] for m in fake.messages(GENERAL)] == ["maybe sent"]
    again = await channel.send("maybe sent", nonce="n-1")  # the retry finds the first one
    assert [m["id"] for m in fake.messages(GENERAL)] == [str(again.id)]


async def test_bad_token_fails_login(fake: FakeDiscord) -> None:
    client = Bot()
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()


async def test_dropped_connection_resumes_and_replays_once(fake: FakeDiscord, bot: Bot) -> None:
    old = fake.add_message(GENERAL, OWNER, "S1 draft")
    async with fake.disconnected():
        await fake.react(GENERAL, old["id"], RESPONDER, "✅")
    kind, event = await bot.next_seen()
    assert (kind, event.user_id) == ("add", RESPONDER)
    assert (fake.resumes, fake.identifies) == (1, 1)
    await fake.react(GENERAL, old["id"], OWNER, "✅")
    kind, event = await bot.next_seen()
    assert (kind, event.user_id) == ("add", OWNER)  # not the first one again
    await fake.drop_connection()  # and without holding the client back
    await fake.wait_for(lambda: fake.gateway.resumed_count == 2)


async def test_invalid_session_makes_the_client_identify_again(fake: FakeDiscord, bot: Bot) -> None:
    async with fake.disconnected(resume=False):
        pass
    await fake.wait_ready(2)
    assert (fake.resumes, fake.identifies) == (1, 2)
    old = fake.add_message(GENERAL, OWNER, "S1 draft")
    await fake.react(GENERAL, old["id"], RESPONDER, "✅")
    kind, _ = await bot.next_seen()
    assert kind == "add"


async def test_close_ends_the_session(fake: FakeDiscord) -> None:
    client = Bot()
    await client.login(TOKEN)
    running = asyncio.create_task(client.connect())
    await fake.wait_ready()
    assert fake.connected
    await client.close()
    async with asyncio.timeout(TIMEOUT):
        await running
    await fake.wait_for(lambda: not fake.connected)
    assert client.is_closed() and fake.identifies == 1


async def test_message_content_needs_its_intent(fake: FakeDiscord) -> None:
    seen: asyncio.Queue[discord.Message] = asyncio.Queue()
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)

    @client.event
    async def on_message(message: discord.Message) -> None:
        await seen.put(message)

    await client.login(TOKEN)
    running = asyncio.create_task(client.connect())
    try:
        await fake.wait_ready()
        await fake.post_as(GENERAL, OWNER, "the secret plan")
        async with asyncio.timeout(TIMEOUT):
            message = await seen.get()
        assert message.author.id == OWNER and message.content == ""
    finally:
        await client.close()
        await running


async def test_history_edit_delete_and_lookups(fake: FakeDiscord, bot: Bot) -> None:
    channel = await general(bot)
    sent = [await channel.send(f"update {n}") for n in range(3)]
    newest_first = [m.content async for m in channel.history(limit=2)]
    assert newest_first == ["update 2", "update 1"]
    older = [m.id async for m in channel.history(before=sent[1])]
    assert older == [sent[0].id]
    fetched = await channel.fetch_message(sent[0].id)
    edited = await fetched.edit(content="update 0 (corrected)")
    assert edited.edited_at is not None
    assert fake.message(GENERAL, sent[0].id)["content"] == "update 0 (corrected)"
    await sent[2].delete()
    assert [m["content"] for m in fake.messages(GENERAL)] == ["update 0 (corrected)", "update 1"]
    with pytest.raises(discord.NotFound) as gone:
        await channel.fetch_message(sent[2].id)
    assert gone.value.code == 10008
    guild = bot.get_guild(GUILD)
    assert guild is not None
    member = await guild.fetch_member(RESPONDER)
    assert member.name == "rita" and [r.id for r in member.roles][1:] == [COMMANDER_ROLE]
    with pytest.raises(discord.NotFound) as stranger:
        await guild.fetch_member(42)
    assert stranger.value.code == 10007


async def test_direct_messages(fake: FakeDiscord, bot: Bot) -> None:
    await (await bot.create_dm(discord.Object(RESPONDER))).send("You may not approve S1")
    assert [m["content"] for m in fake.dms(RESPONDER)] == ["You may not approve S1"]
    assert fake.dms(OWNER) == []
    fake.close_dms(OWNER)
    with pytest.raises(discord.Forbidden) as closed:
        await (await bot.create_dm(discord.Object(OWNER))).send("hello")
    assert closed.value.code == 50007 and fake.dms(OWNER) == []
