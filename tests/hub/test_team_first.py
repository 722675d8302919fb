"""The team's work comes before public reads: while a command is being handled, a hub
request waits for it (so fifty readers cannot slow the people on duty tenfold), but
never longer than the cap, so a reader is not starved by a busy team."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.hub.routes import HUB_KEY, Hub
from bot.priority import TeamFirst
from tests.adapters.slack_bot import slack_bot
from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import HubBot, hub_bot


def _hub(bot: HubBot) -> Hub:
    assert bot.runtime.http is not None
    return bot.runtime.http.app[HUB_KEY]


def _watch_turns(hub: Hub) -> asyncio.Event:
    """Set once a public read reaches its turn (and, the team being busy, waits)."""
    reached = asyncio.Event()
    wait_turn = hub.team_first.public_turn

    async def turn() -> None:
        reached.set()
        await wait_turn()

    hub.team_first.public_turn = turn  # type: ignore[method-assign]
    return reached


async def test_a_public_read_waits_while_the_team_works(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await bot.open("alice", "Checkout down")
        await bot.publish("S1")
        hub = _hub(bot)
        await hub.settled()
        hub.team_first.max_wait = 60.0
        reached = _watch_turns(hub)
        with hub.team_first.working():
            reading = asyncio.create_task(bot.get("/status"))
            await asyncio.wait_for(reached.wait(), 10)
            assert not reading.done()
            reply = await bot.say("alice", "/incident status")  # the team is not held
            assert not reply.is_error
            assert not reading.done()
        page = await asyncio.wait_for(reading, 10)
        assert page.status == 200 and "Checkout down" in page.text


async def test_a_reader_is_served_once_the_wait_is_up_even_if_the_team_is_busy(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await bot.open("alice", "Checkout down")
        await bot.publish("S1")
        hub = _hub(bot)
        hub.team_first.max_wait = 0.0  # the cap reached at once
        with hub.team_first.working():
            page = await asyncio.wait_for(bot.get("/status"), 10)
            assert hub.team_first.busy
        assert page.status == 200 and "Checkout down" in page.text


async def test_a_slack_command_under_way_holds_readers_until_it_is_answered(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        assert bot.runtime.http is not None
        hub = bot.runtime.http.app[HUB_KEY]
        hub.team_first.max_wait = 60.0
        reached = _watch_turns(hub)
        slow = bot.fake.hold("conversations.create")
        assert await bot.command("open Payments failing sev1") == 200  # acked at once
        await bot.fake.wait_for_call("conversations.create")

        async def read() -> int:
            async with bot.http.get("/status") as page:
                await page.read()
                return page.status

        reading = asyncio.create_task(read())
        await asyncio.wait_for(reached.wait(), 10)
        assert not reading.done(), "the reader waits while the command is under way"

        slow.set()
        reply = await bot.fake.wait_for_response()
        assert "Opened INC-1" in reply.body["text"]
        assert await asyncio.wait_for(reading, 10) == 200


async def test_held_readers_are_let_go_in_order_a_few_per_turn_of_the_loop() -> None:
    """Fifty answered in one turn would hold up the next command's ack for that turn."""
    first = TeamFirst(max_wait=60.0, at_once=3)
    turn = 0
    served: list[tuple[int, int]] = []  # (reader, the loop turn it was let go on)

    async def ticker() -> None:
        nonlocal turn
        for _ in range(200):
            turn += 1
            await asyncio.sleep(0)  # one turn of the loop, not a wait for time

    async def reader(number: int) -> None:
        await first.public_turn()
        served.append((number, turn))

    with first.working():
        readers = [asyncio.create_task(reader(n)) for n in range(10)]
        await asyncio.sleep(0)  # every reader has come and is held
        assert served == []
    ticking = asyncio.create_task(ticker())
    await asyncio.gather(*readers)
    ticking.cancel()
    assert [number for number, _ in served] == list(range(10))
    per_turn = Counter(at for _, at in served)
    assert max(per_turn.values()) <= 3 and len(per_turn) >= 4
