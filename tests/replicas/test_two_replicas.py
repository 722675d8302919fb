"""Two assembled replicas on one PostgreSQL, in one test process: either serves
commands, only the leader runs the timers, work a follower queued is done by the
leader at once, and when the leader stops the other takes over and re-arms."""

from __future__ import annotations

import aiohttp
import pytest

from bot.app import Runtime, start
from bot.settings import Settings
from commands.desk import Reaction
from commands.ports import Actor, ChannelRef
from tests.conftest import PG_URL
from tests.fakes.clock import FakeClock
from tests.fakes.screen import Screen

pytestmark = pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")

ALICE = Actor("console", "alice", "alice")
GENERAL = ChannelRef("console", "local", "general")


async def _replica(name: str, database_url: str, clock: FakeClock) -> tuple[Runtime, Screen]:
    screen = Screen()
    settings = Settings(_env_file=None, database_url=database_url, http_port=0, replica_name=name)
    return await start(settings, console_write=screen.write, clock=clock), screen


async def _health(runtime: Runtime) -> tuple[dict[str, object], str]:
    """Detailed health and metrics, from the internal listener."""
    assert runtime.admin_port is not None
    async with aiohttp.ClientSession(f"http://127.0.0.1:{runtime.admin_port}") as http:
        async with http.get("/healthz") as response:
            detailed = await response.json()
        async with http.get("/metrics") as response:
            metrics = await response.text()
    health = {key: detailed[key] for key in ("status", "replica", "leader")}
    return health, metrics


async def test_the_leader_runs_the_timers_for_work_a_follower_queued(
    database_url: str, clock: FakeClock
) -> None:
    leader, leader_screen = await _replica("alpha", database_url, clock)
    follower, follower_screen = await _replica("beta", database_url, clock)
    try:
        health, metrics = await _health(leader)
        assert health == {"status": "ok", "replica": "alpha", "leader": True}
        assert "candor_leader 1.0" in metrics
        health, metrics = await _health(follower)
        assert health == {"status": "ok", "replica": "beta", "leader": False}
        assert "candor_leader 0.0" in metrics

        reply = await follower.desk.handle_text("/incident open Checkout down sev2", ALICE, GENERAL)
        assert not reply.is_error, reply.plain
        assert follower.console is not None
        [channel] = [c for c in follower.console.channels if c.startswith("inc-1")]
        draft = follower.console.statement_message(channel, "S1")
        assert draft is not None
        reaction = Reaction(
            ChannelRef("console", "local", channel), draft.message_id, ALICE, "white_check_mark"
        )
        reply = await follower.desk.react(reaction)
        assert reply is not None and not reply.is_error, reply and reply.plain

        await leader_screen.wait_for(r"^\[#public\] .*Checkout down")  # told by NOTIFY
        assert follower_screen.count(r"^\[#public\]") == 0  # the follower ran no timer
    finally:
        await leader.stop()
        await follower.stop()


async def test_when_the_leader_stops_the_follower_takes_over_and_re_arms(
    database_url: str, clock: FakeClock
) -> None:
    leader, _ = await _replica("alpha", database_url, clock)
    follower, follower_screen = await _replica("beta", database_url, clock)
    try:
        reply = await leader.desk.handle_text("/incident open Checkout down sev1", ALICE, GENERAL)
        assert not reply.is_error, reply.plain
        await leader.stop()
        clock.advance(minutes=6)  # sev1: the nudge for the first update came due meanwhile
        await follower_screen.wait_for(r"next public update for INC-1 is due", limit=10)
        assert follower.replicas is not None and follower.replicas.leadership.is_leader
        health, metrics = await _health(follower)
        assert health["leader"] is True and "candor_leader 1.0" in metrics
    finally:
        await leader.stop()
        await follower.stop()
