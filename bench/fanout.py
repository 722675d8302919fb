"""fanout: one approval published to 20 Slack channels, 5 Discord channels (two of them
announcement channels, so also crossposted) and 5 webhooks, with the fake Slack allowing
1 message per second per channel (Slack's own limit): the time from the ✅ to the last
destination having it, against what the rate limit allows.

    .venv/bin/python -m bench.fanout [--statements 1] [--db sqlite|postgres]

The bot runs as `candor run` in its own process; Slack (rate-limited) and the webhook
receivers are fakes in this one. `--statements K` approves K statements at once (K
incidents), so every channel must take K messages: at 1 per second a channel needs K
seconds of its budget, which is the bound printed. Prints figures; never passes or
fails.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections.abc import Callable

import aiohttp

from bench.common import SLACK_SECRET, Server, child_env, database, free_port
from tests.fakes.discord import FakeDiscord
from tests.fakes.slack import FakeSlack, SlackSigner
from tests.fakes.slack_payloads import event_body, reaction_event
from tests.fakes.webhooks import SECRET as WEBHOOK_SECRET
from tests.fakes.webhooks import Receivers, running_receivers

SECRET = SLACK_SECRET
GENERAL = "CGENERAL"
SLACK_CHANNELS = [f"CPUB{n:02d}" for n in range(1, 21)]
WEBHOOKS = [f"/hook{n}" for n in range(1, 6)]
DISCORD_TOKEN = "MTAx.bench.discord-token"  # noqa: S105 (the fake Discord's)
GUILD = 910000000000000001
DISCORD_CHANNELS = [910000000000000100 + n for n in range(1, 6)]
ANNOUNCEMENTS = set(DISCORD_CHANNELS[:2])  # published to following servers as well
DESTINATION_KINDS = {
    "Slack": len(SLACK_CHANNELS),
    "Discord": len(DISCORD_CHANNELS),
    "webhook": len(WEBHOOKS),
}


class Arrivals:
    """When each destination first had ``wanted`` statements (bench clock)."""

    def __init__(self, wanted: int) -> None:
        self.wanted = wanted
        self.at: dict[str, float] = {}

    def all_in(self, counts: dict[str, int]) -> bool:
        """Notes the destinations that have them all now; whether every one has."""
        for name, count in counts.items():
            if count >= self.wanted and name not in self.at:
                self.at[name] = time.perf_counter()
        return all(name in self.at for name in counts)


async def _post(url: str, body: str) -> None:
    headers = SlackSigner(SECRET).headers(body)
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as got:
        if got.status != 200:
            raise SystemExit(f"the bot answered HTTP {got.status}")


async def _open(fake: FakeSlack, url: str, number: int) -> tuple[str, str]:
    """Open incident ``number``; its channel and the ts of its S1 draft."""
    before = len(fake.responses)
    body = fake.slash_command_body(f"open Outage {number} sev2", "UALICE", GENERAL)
    await _post(f"{url}/slack/events", body)
    response = await fake.wait_for_response(before + 1)
    found = re.search(r"in #([a-z0-9_-]+)\.", response.body["text"])
    if not found:
        raise SystemExit(f"could not open an incident: {response.body['text']}")
    channel = str((fake.channel_by_name(found.group(1)) or {})["id"])

    def draft() -> str | None:
        for message in fake.messages(channel):
            header = next((b for b in message.get("blocks") or [] if b["type"] == "header"), None)
            seeded = len(message.get("reactions", [])) >= 2
            if header and header["text"]["text"].startswith("S1 · ") and seeded:
                return str(message["ts"])
        return None

    await fake.wait_for(lambda: draft() is not None)
    return channel, str(draft())


async def _wait_all(
    fake: FakeSlack, discord: FakeDiscord, receivers: Receivers, arrivals: Arrivals
) -> None:
    def slack_done() -> bool:
        return arrivals.all_in({c: len(fake.messages(c)) for c in SLACK_CHANNELS})

    def discord_done() -> bool:
        posted = {str(c): len(discord.messages(c)) for c in DISCORD_CHANNELS}
        crossposted = sum(
            1 for c in ANNOUNCEMENTS for m in discord.messages(c) if m["id"] in discord.crossposts
        )
        return arrivals.all_in(posted) and crossposted >= arrivals.wanted * len(ANNOUNCEMENTS)

    def hooks_done() -> bool:
        return arrivals.all_in({p: len(receivers.accepted.get(p, {})) for p in WEBHOOKS})

    await asyncio.gather(
        fake.wait_for(slack_done),
        discord.wait_for(discord_done),
        receivers.wait_until(hooks_done, 300),
    )


def _discord_guild(discord: FakeDiscord) -> None:
    discord.add_guild(GUILD, name="Bench")
    for channel in DISCORD_CHANNELS:
        kind = 5 if channel in ANNOUNCEMENTS else 0
        discord.add_channel(GUILD, channel, f"status-{channel % 100}", type=kind)


def _bot_env(
    fake: FakeSlack, discord: FakeDiscord, receivers: Receivers, db_url: str, port: int
) -> dict[str, str]:
    destinations = [f"slack:{c}" for c in SLACK_CHANNELS]
    destinations += [f"discord:{c}" for c in DISCORD_CHANNELS]
    destinations += [f"webhook:{receivers.url(p)}" for p in WEBHOOKS]
    return child_env(
        DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-bench",  # noqa: S106
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.base_url,
        DISCORD_BOT_TOKEN=DISCORD_TOKEN,
        DISCORD_GUILD_ID=str(GUILD),
        DISCORD_API_URL=discord.api_base,
        DISCORD_GATEWAY_URL=discord.gateway_url,
        HTTP_PORT=str(port),
        PUBLIC_DESTINATIONS=",".join(destinations),
        WEBHOOK_SECRET=WEBHOOK_SECRET,
        LOG_LEVEL="WARNING",
    )


async def main(statements: int, db: str) -> None:
    async with (
        FakeSlack(chat_write_public=True, timeout=300.0) as fake,
        FakeDiscord(DISCORD_TOKEN, timeout=300.0) as discord,
        running_receivers() as receivers,
        database(db) as db_url,
    ):
        fake.add_channel(GENERAL, "general", members=("UALICE",))
        for n, channel in enumerate(SLACK_CHANNELS, 1):
            fake.add_channel(channel, f"status-{n}")
        _discord_guild(discord)
        port = free_port()
        server = await Server.spawn(
            "-m", "bot.cli", "run", env=_bot_env(fake, discord, receivers, db_url, port)
        )
        url = f"http://127.0.0.1:{port}"
        try:
            await server.wait_http(f"{url}/healthz")
            await discord.wait_ready()
            drafts = [await _open(fake, url, n) for n in range(1, statements + 1)]
            fake.per_channel_rate(1)  # from here on, Slack's limit: 1 message/s/channel
            arrivals = Arrivals(statements)
            approve: Callable[[tuple[str, str]], object] = lambda draft: _post(  # noqa: E731
                f"{url}/slack/events",
                event_body(reaction_event("UALICE", draft[0], draft[1], "white_check_mark")),
            )
            began = time.perf_counter()
            await asyncio.gather(*(approve(d) for d in drafts))  # type: ignore[misc]
            await _wait_all(fake, discord, receivers, arrivals)
        finally:
            await server.stop()
    _report(statements, db, began, arrivals)


def _report(statements: int, db: str, began: float, arrivals: Arrivals) -> None:
    took = max(arrivals.at.values()) - began
    slack = max(arrivals.at[c] for c in SLACK_CHANNELS) - began
    discord = max(arrivals.at[str(c)] for c in DISCORD_CHANNELS) - began
    hooks = max(arrivals.at[p] for p in WEBHOOKS) - began
    bound = float(statements)  # K messages per channel at 1 message per second
    kinds = ", ".join(f"{n} {kind}" for kind, n in DESTINATION_KINDS.items())
    print(f"fan-out of {statements} approved statement(s) to {kinds} destinations ({db})")
    print(
        f"  all delivered {took:.2f} s after the ✅ (Slack {slack:.2f} s, "
        f"Discord {discord:.2f} s incl. crossposts, webhooks {hooks:.2f} s)"
    )
    print(
        f"  rate-limit bound {bound:.0f} s ({statements} message(s) per channel at 1/s): "
        f"{took / bound:.2f}x the bound"
    )


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--statements", type=int, default=1, help="approved at once")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    asyncio.run(main(args.statements, args.db))


if __name__ == "__main__":
    cli()
