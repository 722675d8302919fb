"""Alertmanager's webhook (fixtures) through the whole bot: one incident per group with
its acknowledgement draft, group updates, retries that change nothing, the resolution
prompt; nothing published by itself and no alert text in any draft."""

from __future__ import annotations

from commands import Actor, ChannelRef
from storage import AlertGroup, Incident, StatementState, TimelineEvent
from tests.alerts.conftest import BotFactory, fixture
from tests.fakes.clock import FakeClock

SUMMARY = "checkout-api 5xx ratio above 20% on pod checkout-7f9c"
CHANNEL = "inc-1-checkout-api-5xx-ratio-above-20-on-pod-checkout-7f9c"


async def test_a_firing_group_opens_one_incident_with_its_acknowledgement_draft(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot()
    status, answer = await bot.post("alertmanager", fixture("alertmanager_firing"))
    assert status == 200
    assert answer == {"received": [{"outcome": "opened", "incident": "INC-1"}]}

    (incident,) = await bot.incidents()
    assert incident.title == SUMMARY
    assert incident.severity == "sev1"  # severity="critical"
    assert incident.opened_by == "system:alertmanager"
    assert incident.description == "db pool exhausted on replica pg-internal-3"  # internal
    assert incident.next_update_due_at is not None  # the public clock started at open
    await bot.screen.wait_for(r"S1 · ack draft for INC-1")
    (ack,) = await bot.statements()
    assert ack.kind == "ack" and ack.state == StatementState.DRAFT
    for internal in ("checkout", "5xx", "pod", "pg-internal", "prometheus"):
        assert internal not in ack.body.lower()
    assert "some of our services" in ack.body
    texts = "\n".join(bot.channel_texts(CHANNEL))
    assert "Opened by Alertmanager: 1 alert firing in CheckoutErrors" in texts
    feed = "\n".join(bot.channel_texts("incidents"))
    assert "INC-1 · " + SUMMARY in feed and "opened by Alertmanager" in feed
    assert bot.channel_texts("public") == []  # nothing public until a person approves


async def test_a_retried_notification_changes_nothing(alert_bot: BotFactory) -> None:
    bot = await alert_bot()
    await bot.post("alertmanager", fixture("alertmanager_firing"))
    await bot.screen.wait_for(r"Opened by Alertmanager")
    before = len(bot.channel_texts(CHANNEL))
    for _ in range(3):  # Alertmanager retries until it sees a 2xx
        status, answer = await bot.post("alertmanager", fixture("alertmanager_firing"))
        assert status == 200
        assert answer == {"received": [{"outcome": "duplicate", "incident": "INC-1"}]}
    await bot.runtime.desk.settle()
    assert len(bot.channel_texts(CHANNEL)) == before
    assert len(await bot.incidents()) == 1
    (group,) = await bot.groups()
    assert group.notifications == 1


async def test_later_notifications_update_the_group_and_its_resolution_prompts_a_draft(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot()
    await bot.post("alertmanager", fixture("alertmanager_firing"))
    status, answer = await bot.post("alertmanager", fixture("alertmanager_more"))
    assert (status, answer["received"][0]["outcome"]) == (200, "updated")
    await bot.screen.wait_for(r"2 more alerts firing in this group \(CheckoutErrors\); 3 firing")
    # A re-send after repeat_interval, nothing changed: a duplicate, however late.
    resent = await bot.post("alertmanager", fixture("alertmanager_more"))
    assert resent[1]["received"][0]["outcome"] == "duplicate"
    # One alert resolves while the others fire: the timeline has it, chat stays quiet.
    fewer = fixture("alertmanager_more")
    fewer["alerts"][2]["status"] = "resolved"
    assert (await bot.post("alertmanager", fewer))[1]["received"][0]["outcome"] == "updated"
    _, answer = await bot.post("alertmanager", fixture("alertmanager_resolved"))
    assert answer == {"received": [{"outcome": "resolved", "incident": "INC-1"}]}
    await bot.screen.wait_for(r"Every alert in CheckoutErrors has resolved")
    await bot.screen.wait_for(r"S2 · update draft for INC-1")

    assert len(await bot.incidents()) == 1
    (incident,) = await bot.incidents()
    assert incident.state == "investigating" and incident.resolved_at is None  # a person's call
    _ack, monitoring = await bot.statements()
    assert monitoring.template == "monitoring" and monitoring.state == StatementState.DRAFT
    assert "checkout" not in monitoring.body.lower()
    texts = bot.channel_texts(CHANNEL)
    assert sum("more alert" in t for t in texts) == 1  # one message: the update with news
    async with bot.runtime.store.reading() as uow:
        events = await uow.timeline.of_incident(incident.id or 0)
    alert_events = [e.text for e in events if e.kind == "alerts"]
    assert alert_events == [
        "Alertmanager: 1 firing in CheckoutErrors",
        "Alertmanager: 2 more firing in CheckoutErrors (3 firing)",
        "Alertmanager: still firing in CheckoutErrors (2 firing)",
        "Alertmanager: CheckoutErrors resolved",
    ]
    assert bot.channel_texts("public") == []


async def test_a_group_firing_after_its_incident_was_resolved_opens_a_new_one(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot()
    await bot.post("alertmanager", fixture("alertmanager_firing"))
    await bot.screen.wait_for(r"Opened by Alertmanager")
    bob = Actor("console", "bob", "Bob")
    here = ChannelRef("console", "local", CHANNEL)
    reply = await bot.runtime.desk.handle_text("/incident assign commander @bob", bob, here)
    assert not reply.is_error, reply.plain  # nobody commanded: whoever takes command first
    reply = await bot.runtime.desk.handle_text("/incident resolve Rolled back", bob, here)
    assert not reply.is_error, reply.plain
    _, answer = await bot.post("alertmanager", fixture("alertmanager_firing"))
    assert answer == {"received": [{"outcome": "opened", "incident": "INC-2"}]}
    assert [g.active_key is not None for g in await bot.groups()] == [False, True]


async def test_the_alert_source_commands_nothing_and_approves_nothing(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot()  # APPROVERS cannot even name a system actor
    await bot.post("alertmanager", fixture("alertmanager_firing"))
    await bot.screen.wait_for(r"S1 · ack draft")
    here = ChannelRef("console", "local", CHANNEL)
    source = Actor("console", "system:alertmanager", "Alertmanager")
    reply = await bot.runtime.desk.handle_text("/incident approve S1r1", source, here)
    assert reply.is_error and "not an approver" in reply.plain
    async with bot.runtime.store.reading() as uow:
        roles = await uow.roles.holders([1], "commander")
    assert roles == {}

    ann, bob = Actor("console", "ann", "Ann"), Actor("console", "bob", "Bob")
    assert not (
        await bot.runtime.desk.handle_text("/incident assign commander @ann", bob, here)
    ).is_error
    reply = await bot.runtime.desk.handle_text("/incident assign commander @bob", bob, here)
    assert reply.is_error  # Ann commands now: taking command was open only while nobody did
    reply = await bot.runtime.desk.handle_text("/incident approve S1r1", ann, here)
    assert not reply.is_error, reply.plain
    await bot.runtime.desk.settle()
    published = "\n".join(bot.channel_texts("public"))
    assert "Service disruption" in published  # the public title is not the alert's summary
    assert "checkout" not in published.lower()
    assert "— Ann" in published and "Alertmanager" not in published  # signed by a person


async def test_nothing_is_written_for_an_unknown_group_that_resolves(alert_bot: BotFactory) -> None:
    bot = await alert_bot()
    _, answer = await bot.post("alertmanager", fixture("alertmanager_resolved"))
    assert answer == {"received": [{"outcome": "ignored", "incident": None}]}
    assert await bot.count(Incident) == 0 and await bot.count(AlertGroup) == 0
    assert await bot.count(TimelineEvent) == 0


async def test_reminders_on_an_alert_incident_ask_someone_to_take_command(
    alert_bot: BotFactory, clock: FakeClock
) -> None:
    bot = await alert_bot()
    await bot.post("alertmanager", fixture("alertmanager_firing"))
    await bot.screen.wait_for(r"Opened by Alertmanager")
    clock.advance(minutes=16)  # sev1: nudge at +5, due at +10, commander told at +15
    await bot.runtime.desk.settle()
    texts = "\n".join(bot.channel_texts(CHANNEL))
    assert "Whoever takes command (`/incident assign commander @you`): the public update" in texts
    assert "system:" not in texts  # the alert source is never addressed as if a person
