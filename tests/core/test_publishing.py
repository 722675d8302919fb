"""Approved statements reach every destination once; failures are retried, then reported."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from commands.publishing.destinations import ChatChannelDestination
from commands.publishing.outbox import MAX_ATTEMPTS
from storage import Delivery, Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.fakes.destinations import FlakyDestination
from tests.team import PUBLIC, Team


def _team(store: Store, clock: FakeClock, chat: RecordingChat, *extra: FlakyDestination) -> Team:
    public = ChatChannelDestination(chat, PUBLIC, "chat:PUBLIC", "#public")
    destinations = {public.key: public, **{d.key: d for d in extra}}
    return Team.build(store, clock, chat, destinations=destinations)


async def _deliveries(team: Team) -> list[Delivery]:
    async with team.store.unit_of_work() as uow:
        return list((await uow.session.exec(select(Delivery))).all())


async def test_each_destination_gets_the_statement_once(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    hook = FlakyDestination(key="test:hook")
    team = _team(store, clock, chat, hook)
    await team.open("alice")
    await team.react("alice", "S1")
    for _ in range(3):  # the timer may fire more than once; nothing is sent twice
        await team.settle()
    assert len(team.public_posts()) == 1
    assert len(hook.accepted) == 1
    assert hook.accepted[0].statement_ref == "S1"
    assert sorted(d.state for d in await _deliveries(team)) == ["sent", "sent"]


async def test_a_flaky_receiver_is_retried_with_backoff_until_it_accepts(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    hook = FlakyDestination(key="test:hook", failures=3)
    team = _team(store, clock, chat, hook)
    await team.open("alice")
    await team.react("alice", "S1")
    await team.settle()
    assert hook.attempts == 1 and not hook.accepted
    for _ in range(4):
        await team.later(minutes=5)  # past every backoff step
    assert hook.attempts == 4
    assert len(hook.accepted) == 1
    channel = team.where["alice"]
    assert any("S1 is public" in t and "flaky receiver" in t for t in team.chat.texts(channel))


async def test_a_receiver_that_never_accepts_ends_failed_and_the_team_is_told(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    hook = FlakyDestination(key="test:hook", failures=99)
    team = _team(store, clock, chat, hook)
    await team.open("alice")
    await team.react("alice", "S1")
    for _ in range(MAX_ATTEMPTS + 2):
        await team.later(minutes=10)
    assert hook.attempts == MAX_ATTEMPTS
    failed = [d for d in await _deliveries(team) if d.destination == "test:hook"]
    assert failed[0].state == "failed" and "503" in (failed[0].last_error or "")
    channel = team.where["alice"]
    assert any("did not reach flaky receiver" in t and "503" in t for t in team.chat.texts(channel))
    status = await team.say("alice", "/incident status")
    assert "failed" in status.plain and "503" in status.plain
    # The public channel still got it, once.
    assert len(team.public_posts()) == 1


async def test_a_refusal_is_not_retried(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    hook = FlakyDestination(key="test:hook", failures=99, retryable=False)
    team = _team(store, clock, chat, hook)
    await team.open("alice")
    await team.react("alice", "S1")
    await team.later(minutes=30)
    assert hook.attempts == 1


async def test_a_delivery_left_mid_send_by_a_dead_process_is_resumed_at_start(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    await team.open("alice")
    await team.react("alice", "S1")
    # The process dies right after claiming the delivery, before sending it.
    async with store.unit_of_work() as uow:
        [delivery_id] = await uow.deliveries.due_ids(clock.now())
        assert await uow.deliveries.claim(delivery_id, clock.now())
    assert team.public_posts() == []

    clock.advance(minutes=3)
    restarted = _team(store, clock, chat)
    await restarted.desk.start()
    await restarted.settle()
    assert len(team.public_posts()) == 1


async def test_publication_resets_the_clock_to_the_promised_time(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    await team.open("alice", "/incident open Login errors sev3")  # cadence 60 min
    await team.say("alice", "/incident assign comms @dana")
    promised = (clock.now() + timedelta(minutes=20)).strftime("%H:%M")
    team.join(team.where["alice"], "dana")
    reply = await team.say(
        "dana",
        "/incident draft We are aware of login errors and are investigating. Please retry "
        f"if sign-in fails. Next update by {promised} UTC.",
    )
    assert not reply.is_error, reply.plain
    await team.react("alice", "S2")
    await team.settle()
    incident = await team.incident()
    assert incident.last_public_update_at == clock.now()
    assert incident.next_update_due_at is not None
    assert incident.next_update_due_at.strftime("%H:%M") == promised


async def test_user_text_in_a_statement_cannot_ping_anyone(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    await team.open("alice")
    await team.say("alice", "/incident assign comms @dana")
    team.join(team.where["alice"], "dana")
    await team.say(
        "dana",
        "/incident draft <!channel> @everyone @here <@U999> we are "
        "aware of an issue. Please retry. Next update in 30 minutes.",
    )
    await team.react("alice", "S2")
    await team.settle()
    post = team.public_posts()[-1]
    assert "<!channel>" in post.text  # shown as text...
    assert not post.pings_channel() and post.mentions() == []  # ...never as a ping


async def test_a_public_channel_the_platform_refuses_is_a_readable_failure(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    chat.fail_post_to.add(PUBLIC)
    await team.open("alice")
    await team.react("alice", "S1")
    await team.settle()
    channel = team.where["alice"]
    assert any(
        "did not reach #public" in t and f"cannot post to {PUBLIC}" in t
        for t in team.chat.texts(channel)
    )
    assert [d.state for d in await _deliveries(team)] == ["failed"]
