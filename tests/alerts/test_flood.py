"""Flood safety: past ALERTS_MAX_INCIDENTS_PER_HOUR new groups join the newest
alert-opened incident, the channel and the feed hear so at most once a minute, and a
thousand notifications in a minute leave the team's commands answered."""

from __future__ import annotations

import asyncio
from typing import Any

from commands import Actor, ChannelRef
from storage import AlertGroup
from tests.alerts.conftest import AlertBot, BotFactory
from tests.fakes.clock import FakeClock


def _generic(n: int) -> dict[str, Any]:
    return {"key": f"probe-{n}", "title": f"Probe {n} failing", "severity": "warning"}


async def _outcomes(bot: AlertBot, numbers: range) -> list[str]:
    answers = [await bot.post("generic", _generic(n)) for n in numbers]
    assert {status for status, _ in answers} == {200}
    return [answer["received"][0]["outcome"] for _, answer in answers]


def _flood_lines(texts: list[str]) -> int:
    return sum("Alert flood" in text for text in texts)


async def test_past_the_hourly_limit_new_groups_join_the_newest_alert_incident(
    alert_bot: BotFactory, clock: FakeClock
) -> None:
    bot = await alert_bot(alerts_max_incidents_per_hour=3)
    assert await _outcomes(bot, range(1, 7)) == ["opened"] * 3 + ["attached"] * 3
    await bot.runtime.desk.settle()
    incidents = await bot.incidents()
    assert [i.number for i in incidents] == [1, 2, 3]
    newest = incidents[-1].channel_id
    assert _flood_lines(bot.channel_texts(newest)) == 1  # one summary in that minute
    assert _flood_lines(bot.channel_texts("incidents")) == 1  # and the feed says so, once
    assert "3 incidents from alerts an hour" in bot.channel_texts("incidents")[-1]
    groups = await bot.groups()
    assert [g.incident_id for g in groups if g.flooded] == [3, 3, 3]

    clock.advance(seconds=61)
    assert await _outcomes(bot, range(7, 8)) == ["attached"]
    await bot.screen.wait_for(r"4 groups so far, the latest Probe 7 failing")
    assert _flood_lines(bot.channel_texts(newest)) == 2

    clock.advance(minutes=60)  # an hour after the first three: room again
    assert await _outcomes(bot, range(8, 9)) == ["opened"]
    assert len(await bot.incidents()) == 4


async def test_a_flooded_group_s_later_notifications_go_to_the_incident_it_joined(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot(alerts_max_incidents_per_hour=1)
    assert await _outcomes(bot, range(1, 3)) == ["opened", "attached"]
    resolved = {**_generic(2), "status": "resolved"}
    _, answer = await bot.post("generic", resolved)
    assert answer == {"received": [{"outcome": "resolved", "incident": "INC-1"}]}
    await bot.screen.wait_for(r"Every alert in Probe 2 failing has resolved")
    # The group that opened INC-1 still fires: no monitoring draft yet.
    assert [s.template for s in await bot.statements()] == ["ack"]


async def test_a_thousand_alerts_in_a_minute_leave_commands_answered(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot()  # ALERTS_MAX_INCIDENTS_PER_HOUR: the default, 10
    in_flight = asyncio.Semaphore(50)  # Alertmanager and friends, many at once

    async def send(n: int) -> int:
        async with in_flight:
            status, _ = await bot.post("generic", _generic(n))
            return status

    flood = asyncio.gather(*(send(n) for n in range(1000)))
    await bot.screen.wait_for(r"Alert flood", limit=60)  # the limit is reached: mid-flood
    reply = await bot.runtime.desk.handle_text(
        "/incident list", Actor("console", "ann", "Ann"), ChannelRef("console", "local", "general")
    )
    assert not reply.is_error and "INC-10" in reply.plain
    assert not flood.done()  # answered while alerts were still arriving, not after them
    statuses = await asyncio.wait_for(flood, 300)
    assert statuses == [200] * 1000
    await bot.runtime.desk.settle()
    assert len(await bot.incidents()) == 10
    groups = await bot.groups()
    assert len(groups) == 1000
    assert sum(g.flooded for g in groups) == 990
    assert {g.incident_id for g in groups if g.flooded} == {10}
    assert await bot.count(AlertGroup) == 1000
    newest = (await bot.incidents())[-1].channel_id
    assert _flood_lines(bot.channel_texts(newest)) == 1  # the clock stood still: one minute
    assert _flood_lines(bot.channel_texts("incidents")) == 1


async def test_news_of_flooded_groups_reaches_the_channel_once_a_minute(
    alert_bot: BotFactory, clock: FakeClock
) -> None:
    bot = await alert_bot(alerts_max_incidents_per_hour=1)
    assert await _outcomes(bot, range(1, 5)) == ["opened"] + ["attached"] * 3
    for n in range(2, 5):  # every attached group resolves in the same minute
        _, answer = await bot.post("generic", {**_generic(n), "status": "resolved"})
        assert answer["received"][0]["outcome"] == "resolved"
    await bot.runtime.desk.settle()
    channel = (await bot.incidents())[0].channel_id
    assert sum("has resolved" in t for t in bot.channel_texts(channel)) == 1
    async with bot.runtime.store.reading() as uow:
        events = await uow.timeline.of_incident(1)
    assert sum(e.text.endswith("resolved") for e in events if e.kind == "alerts") == 3
    clock.advance(seconds=61)
    await bot.post("generic", _generic(2))  # firing again, a minute later: told
    await bot.screen.wait_for(r"Probe 2 failing is firing again")
