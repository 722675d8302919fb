"""`/incident correct`: a published statement is corrected where it went, through the
same approval, and the original says so wherever it can be edited — its words kept."""

from __future__ import annotations

from sqlmodel import select

from commands.publishing.destinations import ChatChannelDestination
from storage import Delivery, Statement, Store
from tests.core.test_commands import refused
from tests.fakes.chat import RecordingChat, Sent
from tests.fakes.clock import FakeClock
from tests.fakes.destinations import FlakyDestination
from tests.team import PUBLIC, Team

FIX = "Only card payments were affected; bank transfers worked throughout. Next update by 13:00."


def _team(store: Store, clock: FakeClock, chat: RecordingChat, *extra: FlakyDestination) -> Team:
    public = ChatChannelDestination(chat, PUBLIC, f"chat:{PUBLIC}", "#public")
    return Team.build(
        store, clock, chat, destinations={public.key: public, **{d.key: d for d in extra}}
    )


async def _published_ack(team: Team) -> Sent:
    """INC-1 with S1 public in #public; alice commands, bruno is comms (an approver)."""
    await team.open("alice")
    await team.react("alice", "S1")
    await team.settle()
    await team.say("alice", "/incident assign comms @bruno")
    team.join(team.where["alice"], "bruno")
    [original] = team.public_posts()
    return original


async def _correct_s1(team: Team, minutes: float = 5) -> None:
    team.clock.advance(minutes=minutes)
    reply = await team.say("alice", f"/incident correct S1 {FIX}")
    assert not reply.is_error, reply.plain
    await team.react("bruno", "S2")
    await team.settle()


async def _deliveries(team: Team, number: int) -> dict[str, Delivery]:
    async with team.store.unit_of_work() as uow:
        query = select(Delivery, Statement).join(Statement)
        rows = (await uow.session.exec(query)).all()
    return {d.destination: d for d, s in rows if s.number == number}


def _corrections(team: Team) -> list[Sent]:
    return [s for s in team.public_posts() if (s.current.title or "").startswith("Correction:")]


async def test_a_correction_goes_where_the_original_went_and_marks_it_corrected(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    hook = FlakyDestination(key="test:hook")
    team = _team(store, clock, chat, hook)
    original = await _published_ack(team)
    before = original.text

    # A destination configured after S1 went out never saw it: it gets no correction.
    late = FlakyDestination(key="test:late", label="late receiver")
    where = team.where
    team = _team(store, clock, chat, hook, late)
    team.where = where
    await _correct_s1(team)

    [correction] = _corrections(team)
    assert FIX in correction.text
    assert "This corrects our statement of 2026-11-21 12:00 UTC." in correction.text
    assert team.public_posts() == [original, correction]  # the original was not reposted
    [edited] = original.edits
    assert edited.title == "Corrected · Investigating: Payments failing"
    assert "✏️ Corrected at 2026-11-21 12:05 UTC — see the correction posted then." in (
        original.text
    )
    assert original.message.lines[0][0] in original.text  # the published words are kept
    assert before != original.text

    assert [p.statement_ref for p in hook.accepted] == ["S1", "S2"]
    corrects = hook.accepted[1].corrects
    assert corrects is not None and corrects.statement_ref == "S1"
    assert corrects.body == original.message.lines[0][0]
    assert late.accepted == []
    deliveries = await _deliveries(team, 2)
    assert set(deliveries) == {"chat:PUBLIC", "test:hook"}
    assert deliveries["chat:PUBLIC"].amended_at == clock.now()
    assert deliveries["test:hook"].amended_at is None  # a webhook cannot be edited

    said = "\n".join(team.chat.texts(team.where["alice"]))
    assert "S2 is public — sent to #public, flaky receiver." in said
    assert "✏️ S1 is marked corrected at #public." in said


async def test_the_draft_shows_what_it_corrects_and_needs_the_usual_approval(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    original = await _published_ack(team)
    reply = await team.say("alice", f"/incident correct S1 {FIX}")
    assert "S2 drafted: a correction of S1" in reply.plain and reply.ephemeral

    draft = team.chat.draft_message("S2")
    assert draft.current.title == "S2 · correction draft for INC-1 (revision 1)"
    assert "✏️ Corrects S1 (published 2026-11-21 12:00 UTC), which said: “We are aware" in (
        draft.text
    )
    own = await team.react("alice", "S2")  # the author alone is not enough
    assert own is not None and "0 of 1 approvals (the author's own vote does not count)" in (
        own.plain
    )
    await team.settle()
    assert _corrections(team) == [] and original.edits == []

    await team.react("bruno", "S2")
    await team.settle()
    assert len(_corrections(team)) == 1 and len(original.edits) == 1


async def test_the_timeline_records_the_correction(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    await _published_ack(team)
    await _correct_s1(team)
    timeline = (await team.say("alice", "/incident timeline")).plain
    drafted = timeline.index("S2 drafted (correction of S1) by alice")
    published = timeline.index("S2 published")
    corrected = timeline.index("S1 corrected by S2")
    assert drafted < published < corrected


async def test_refusals_say_how_to_fix_them_and_write_nothing(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    await _published_ack(team)
    await refused(team, "alice", f"/incident correct S9 {FIX}", "has no statement S9", "timeline")
    await refused(team, "alice", "/incident correct S1", "Usage: /incident correct <S-number>")

    await team.say("alice", "/incident draft We are still looking into it.")
    await refused(
        team, "alice", f"/incident correct S2 {FIX}", "S2 is still a draft", "/incident edit S2"
    )
    await team.react("bruno", "S2", "x")
    await refused(team, "alice", f"/incident correct S2 {FIX}", "S2 was rejected", "draft")

    async with store.unit_of_work() as uow:
        [s1] = [s for s in await uow.statements.of_incident(1) if s.number == 1]
    await refused(team, "alice", f"/incident correct S1 {s1.body}", "already says")

    await team.say("alice", f"/incident correct S1 {FIX}")  # S3, waiting for approval
    await refused(
        team,
        "alice",
        "/incident correct S1 Something else.",
        "S1 already has a correction waiting: S3 (draft)",
        "/incident edit S3",
    )
    await team.react("bruno", "S3")
    await team.settle()
    await refused(
        team,
        "alice",
        "/incident correct S1 Something else.",
        "S1 was already corrected by S3",
        "/incident correct S3 <text>",
    )
    reply = await team.say("alice", "/incident correct S3 Card payments and refunds failed.")
    assert "S4 drafted: a correction of S3" in reply.plain


async def test_a_statement_approved_but_not_yet_public_cannot_be_corrected(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    down = FlakyDestination(key="test:down", failures=99)
    team = Team.build(store, clock, chat, destinations={down.key: down})
    await team.open("alice")
    await team.react("alice", "S1")
    await team.settle()  # the only destination keeps failing: S1 stays approved
    await refused(team, "alice", f"/incident correct S1 {FIX}", "S1 is approved but not public yet")


async def test_a_failed_edit_is_retried_without_posting_the_correction_again(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    original = await _published_ack(team)
    chat.fail_edits_of[original.message_id] = 2

    await _correct_s1(team)
    assert len(_corrections(team)) == 1 and original.edits == []
    pending = (await _deliveries(team, 2))["chat:PUBLIC"]
    assert pending.state == "pending" and pending.external_id is not None
    assert "posted, but the original message could not be marked corrected" in (
        pending.last_error or ""
    )
    for _ in range(3):
        await team.later(minutes=2)  # past each backoff step

    assert len(_corrections(team)) == 1  # posted once, however many tries the edit took
    assert len(original.edits) == 1 and "✏️ Corrected" in original.text
    sent = (await _deliveries(team, 2))["chat:PUBLIC"]
    assert (sent.state, sent.attempts) == ("sent", 3) and sent.amended_at is not None
    assert sent.external_id == _corrections(team)[0].message_id


async def test_an_edit_the_platform_refuses_is_reported_and_the_correction_stands(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    team = _team(store, clock, chat)
    original = await _published_ack(team)
    chat.fail_edits_of[original.message_id] = 1
    chat.refuse_edits = True

    await _correct_s1(team)
    assert len(_corrections(team)) == 1 and original.edits == []
    delivery = (await _deliveries(team, 2))["chat:PUBLIC"]
    assert (delivery.state, delivery.amended_at) == ("sent", None)
    said = "\n".join(team.chat.texts(team.where["alice"]))
    assert "S2 is public — sent to #public." in said
    assert "⚠️ S1 at #public: posted, but the original message could not be marked corrected:" in (
        said
    )
    assert "(the correction itself was posted there)" in said
    async with store.unit_of_work() as uow:
        [s2] = [s for s in await uow.statements.of_incident(1) if s.number == 2]
    assert s2.state == "published"


async def test_a_retry_after_a_crash_edits_again_but_never_reposts(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    """The process died after the correction was posted and recorded but before the
    edit was recorded: the restarted outbox edits again (harmless) and posts nothing."""
    team = _team(store, clock, chat)
    original = await _published_ack(team)
    await _correct_s1(team)
    [correction] = _corrections(team)
    delivery = (await _deliveries(team, 2))["chat:PUBLIC"]
    async with store.unit_of_work() as uow:  # as the dead process left it
        delivery.state, delivery.amended_at, delivery.sent_at = "sending", None, None
        delivery.claimed_at = clock.now()
        await uow.deliveries.save(delivery)

    clock.advance(minutes=3)
    restarted = _team(store, clock, chat)
    await restarted.desk.start()
    await restarted.settle()

    assert _corrections(restarted) == [correction]
    assert len(original.edits) == 2 and original.edits[0] == original.edits[1]
    recovered = (await _deliveries(restarted, 2))["chat:PUBLIC"]
    assert (recovered.state, recovered.amended_at) == ("sent", clock.now())


async def test_a_correction_waits_for_its_original_to_reach_a_destination(
    store: Store, clock: FakeClock, chat: RecordingChat
) -> None:
    hook = FlakyDestination(key="test:hook", failures=1)
    team = _team(store, clock, chat, hook)
    await _published_ack(team)  # S1 reached #public; the hook failed once, retry pending
    assert hook.accepted == []
    await _correct_s1(team, minutes=0)
    assert hook.accepted == []  # not before the original
    for _ in range(4):
        await team.later(minutes=1)
    assert [p.statement_ref for p in hook.accepted] == ["S1", "S2"]
    assert hook.attempts == 3  # the wait did not use up one of the correction's attempts
