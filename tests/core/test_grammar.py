"""The command grammar (DESIGN §4) through ``parse`` and ``help_text`` only: every
verb's valid forms become the right typed request, every mistake becomes a
``UsageError`` that says how to fix it, and no text at all makes the parser crash."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commands.errors import CommandError, UsageError
from commands.grammar import requests as rq
from commands.grammar.command_line import parse
from commands.grammar.templates import TEMPLATE_NAMES
from commands.grammar.times import When
from commands.grammar.verbs import VERBS, help_text


def minutes(n: int) -> When:
    return When(delta=timedelta(minutes=n))


def utc(*parts: int) -> When:
    return When(absolute=datetime(*parts, tzinfo=UTC))


# --- valid forms ----------------------------------------------------------------

VALID: list[tuple[str, rq.Request]] = [
    # open: title with or without a severity; unicode titles; whitespace collapsed
    ("open Payments failing sev1", rq.OpenIncident("Payments failing", "sev1")),
    ("open Payments failing", rq.OpenIncident("Payments failing", "sev2")),
    ("open Payments failing SEV3", rq.OpenIncident("Payments failing", "sev3")),
    ("open Login slow sev4", rq.OpenIncident("Login slow", "sev4")),
    ("open sev1 dashboards blank", rq.OpenIncident("sev1 dashboards blank", "sev2")),
    ("open 決済が失敗しています 🔥 sev1", rq.OpenIncident("決済が失敗しています 🔥", "sev1")),
    (
        "open Café crème — commandes perdues",
        rq.OpenIncident("Café crème — commandes perdues", "sev2"),
    ),
    ("open   Payments \t  failing   ", rq.OpenIncident("Payments failing", "sev2")),
    # status, list, help
    ("status", rq.ShowStatus()),
    ("list", rq.ListIncidents()),
    ("help", rq.ShowHelp(None)),
    ("help task", rq.ShowHelp("task")),
    ("help EDIT", rq.ShowHelp("edit")),
    # assign: every mention form, custom roles, aliases
    ("assign comms <@U123|dana>", rq.AssignRole("comms", "U123")),
    ("assign commander <@U123>", rq.AssignRole("commander", "U123")),
    ("assign comms <@!123456789012345678>", rq.AssignRole("comms", "123456789012345678")),
    ("assign comms <@123456789012345678>", rq.AssignRole("comms", "123456789012345678")),
    ("assign comms @dana", rq.AssignRole("comms", "dana")),
    ("assign Commander @dana.k", rq.AssignRole("commander", "dana.k")),
    ("assign ic @dana", rq.AssignRole("commander", "dana")),
    ("assign communications @dana", rq.AssignRole("comms", "dana")),
    ("assign scribe @erin", rq.AssignRole("scribe", "erin")),
    ("assign tech-lead <@U9|bo>", rq.AssignRole("tech-lead", "U9")),
    ("assign comms @" + "d" * 64, rq.AssignRole("comms", "d" * 64)),  # the longest id stored
    # task: every due form; the rest of the line is the title
    ("task @dana 30m Check the replicas", rq.AddTask("dana", minutes(30), "Check the replicas")),
    ("task @dana 2h Call the bank", rq.AddTask("dana", minutes(120), "Call the bank")),
    ("task @dana 1h30m Call the bank", rq.AddTask("dana", minutes(90), "Call the bank")),
    ("task @dana 1d Write it up", rq.AddTask("dana", minutes(1440), "Write it up")),
    ("task @dana 45 Bare minutes", rq.AddTask("dana", minutes(45), "Bare minutes")),
    ("task <@U1|dana> 14:00 Roll back", rq.AddTask("U1", When(clock=time(14, 0)), "Roll back")),
    ("task <@U1> 9:05 Early call", rq.AddTask("U1", When(clock=time(9, 5)), "Early call")),
    ("task <@!42> 2026-05-01T14:00Z Ship", rq.AddTask("42", utc(2026, 5, 1, 14), "Ship")),
    ("task @dana 2026-05-01T16:00+02:00 Ship", rq.AddTask("dana", utc(2026, 5, 1, 14), "Ship")),
    ("task @dana 2026-05-01T14:00 Ship", rq.AddTask("dana", utc(2026, 5, 1, 14), "Ship")),
    ("task @dana 30m Check 決済 ✅", rq.AddTask("dana", minutes(30), "Check 決済 ✅")),
    # tasks, done
    ("tasks", rq.ListTasks()),
    ("done 2", rq.CompleteTask(2)),
    ("done T2", rq.CompleteTask(2)),
    ("done #12", rq.CompleteTask(12)),
    # state
    ("state identified", rq.SetState("identified")),
    ("state MONITORING", rq.SetState("monitoring")),
    ("state investigating", rq.SetState("investigating")),
    # cadence, eta, snooze
    ("cadence 45m", rq.SetCadence(timedelta(minutes=45))),
    ("cadence 1h30m", rq.SetCadence(timedelta(minutes=90))),
    ("cadence 5m", rq.SetCadence(timedelta(minutes=5))),
    ("cadence 24h", rq.SetCadence(timedelta(hours=24))),
    ("eta 14:00", rq.SetEta(When(clock=time(14, 0)))),
    ("eta 14:00 UTC", rq.SetEta(When(clock=time(14, 0)))),
    ("eta 2h", rq.SetEta(minutes(120))),
    ("eta 2026-05-01T14:00Z", rq.SetEta(utc(2026, 5, 1, 14))),
    ("eta 2026-05-01 14:00", rq.SetEta(utc(2026, 5, 1, 14))),
    ("eta clear", rq.SetEta(None)),
    ("eta CLEAR", rq.SetEta(None)),
    ("eta off", rq.SetEta(None)),
    ("snooze 20m", rq.Snooze(timedelta(minutes=20))),
    ("snooze 1h", rq.Snooze(timedelta(hours=1))),
    # draft: template names (any case) vs free text, multi-line kept
    ("draft holding", rq.DraftStatement(template="holding")),
    ("draft ACK", rq.DraftStatement(template="ack")),
    ("draft ack now please", rq.DraftStatement(text="ack now please")),
    ("draft We are aware. Sorry!", rq.DraftStatement(text="We are aware. Sorry!")),
    (
        "draft We are aware.\nNext update by 14:30 UTC.",
        rq.DraftStatement(text="We are aware.\nNext update by 14:30 UTC."),
    ),
    ("draft\nWe are aware of it.", rq.DraftStatement(text="We are aware of it.")),
    # edit
    ("edit S2 New words.", rq.EditStatement(2, "New words.")),
    ("edit s2 New words.", rq.EditStatement(2, "New words.")),
    ("edit 2 Two\nlines", rq.EditStatement(2, "Two\nlines")),
    # correct
    ("correct S2 Only card payments failed.", rq.CorrectStatement(2, "Only card payments failed.")),
    ("correct 2 Two\nlines", rq.CorrectStatement(2, "Two\nlines")),
    # approve / reject: S2, s2, 2
    ("approve S2", rq.Vote(2, "approve")),
    ("approve s2", rq.Vote(2, "approve")),
    ("approve 2", rq.Vote(2, "approve")),
    ("reject S2", rq.Vote(2, "reject")),
    ("reject s2", rq.Vote(2, "reject")),
    ("reject 2", rq.Vote(2, "reject")),
    ("approve S2r3", rq.Vote(2, "approve", 3)),
    ("approve s2R12", rq.Vote(2, "approve", 12)),
    # roles, title, reopening
    ("unassign comms", rq.UnassignRole("comms")),
    ("unassign Communications", rq.UnassignRole("comms")),
    ("rename Card payments failing", rq.Rename("Card payments failing")),
    ("reopen", rq.Reopen(None)),
    ("reopen Errors are back", rq.Reopen("Errors are back")),
    # resolve, timeline
    ("resolve", rq.Resolve(None)),
    ("resolve Rolled back the deploy", rq.Resolve("Rolled back the deploy")),
    ("timeline", rq.ShowTimeline()),
    ("postmortem", rq.DraftPostmortem()),
]


@pytest.mark.parametrize(("line", "request_"), VALID, ids=[line for line, _ in VALID])
def test_valid_forms_parse_to_typed_requests(line: str, request_: rq.Request) -> None:
    assert parse(line) == rq.Command(request_)
    assert parse(f"/incident {line}") == rq.Command(request_)


def test_every_verb_has_a_valid_form_above() -> None:
    verbs_covered = {line.split(None, 1)[0] for line, _ in VALID}
    assert verbs_covered == set(VERBS)


def test_every_template_name_is_a_template_not_free_text() -> None:
    for name in TEMPLATE_NAMES:
        assert parse(f"draft {name}").request == rq.DraftStatement(template=name)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("INC-4 status", rq.Command(rq.ShowStatus(), 4)),
        ("inc-4 status", rq.Command(rq.ShowStatus(), 4)),
        ("/incident INC-4 status", rq.Command(rq.ShowStatus(), 4)),
        ("/incident INC-12 approve S2", rq.Command(rq.Vote(2, "approve"), 12)),
        (
            "/incident INC-3 task @dana 30m Check it",
            rq.Command(rq.AddTask("dana", minutes(30), "Check it"), 3),
        ),
        ("INC-7 resolve Fixed", rq.Command(rq.Resolve("Fixed"), 7)),
        ("  /incident   status  ", rq.Command(rq.ShowStatus())),
        ("/INCIDENT status", rq.Command(rq.ShowStatus())),
        ("status\n", rq.Command(rq.ShowStatus())),
    ],
)
def test_incident_target_and_prefix(line: str, expected: rq.Command) -> None:
    assert parse(line) == expected


# --- bad input: a UsageError that says how to fix it ---------------------------

BAD: list[tuple[str, str]] = [
    ("open", "/incident open Payments failing sev1"),
    ("open sev1", "Give the incident a title"),
    ("open " + "x" * 201, "keep it to 200"),
    ("status now", "/incident status"),
    ("list all", "/incident list"),
    ("help nonsense", "/incident help"),
    ("assign", "/incident assign comms @dana"),
    ("assign comms", "/incident assign <role> <@user>"),
    ("assign comms dana", "mention them like @dana"),
    ("assign Comms! @dana", "use one word like `comms`"),
    ("assign comms @dana @erin", "/incident assign <role> <@user>"),
    ("assign comms @" + "d" * 65, "mention them like @dana"),
    ("assign comms <@" + "U" * 65 + ">", "mention them like @dana"),
    ("task", "/incident task <@user> <due> <title>"),
    ("task @dana 30m", "Give an owner, a due time and a title"),
    ("task dana 30m Check", "mention them like @dana"),
    ("task @dana soon Check", "a UTC time like 14:00"),
    ("task @dana 25:00 Check", "ISO 8601 like 2026-05-01T14:00Z"),
    ("task @dana 2026-13-01 Check", "/incident task <@user> <due> <title>"),
    ("task @dana 30m " + "y" * 301, "1 to 300 characters"),
    ("task <@!" + "1" * 65 + "> 30m Check", "mention them like @dana"),
    ("tasks 2", "/incident tasks"),
    ("done", "/incident done 2"),
    ("done two", "/incident done 2"),
    ("state", "investigating, identified, monitoring"),
    ("state fixed", "/incident state <investigating|identified|monitoring>"),
    ("state resolved", "/incident resolve [summary]"),
    ("cadence", "30m, 2h, 1h30m or 1d"),
    ("cadence often", "/incident cadence <duration>"),
    ("cadence 2m", "every 5 minutes to 24 hours"),
    ("cadence 2d", "every 5 minutes to 24 hours"),
    ("eta", "`clear`"),
    ("eta soonish", "/incident eta <time|clear>"),
    ("eta 24:30", "a UTC time like 14:00"),
    ("snooze", "/incident snooze <duration>"),
    ("snooze forever", "30m, 2h, 1h30m or 1d"),
    ("snooze 0m", "1 minute to 24 hours"),
    ("snooze 25h", "1 minute to 24 hours"),
    ("draft", "use a template: ack, holding"),
    ("draft   \n  ", "/incident draft <ack|holding"),
    ("draft " + "z" * 3001, "keep it to 3000"),
    ("edit", "/incident edit <S-number> <text>"),
    ("edit S2", "Name the statement and give its new text"),
    ("edit X2 New words", "not a statement number like S2"),
    ("edit S2 " + "z" * 3001, "keep it to 3000"),
    ("correct", "/incident correct <S-number> <text>"),
    ("correct S2", "Name the published statement and give the corrected text"),
    ("correct X2 New words", "not a statement number like S2"),
    ("correct S2 " + "z" * 3001, "keep it to 3000"),
    ("approve", "Name the statement, e.g. S2"),
    ("approve X2", "/incident approve <S-number>"),
    ("approve S2 S3", "not a statement number like S2"),
    ("approve S2r", "not a statement number like S2"),
    ("unassign", "/incident unassign <role>"),
    ("unassign two words", "Name the role to end"),
    ("rename", "Give the new title"),
    ("rename " + "t" * 201, "keep it to 200"),
    ("reopen " + "r" * 301, "Keep the reason to 300 characters"),
    ("reject", "/incident reject <S-number>"),
    ("reject S", "not a statement number like S2"),
    ("resolve " + "r" * 3001, "/incident resolve [summary]"),
    ("timeline please", "/incident timeline"),
    ("postmortem now", "/incident postmortem"),
    ("", "/incident help"),
    ("/incident", "/incident help"),
    ("INC-4", "/incident help"),
]


@pytest.mark.parametrize(("line", "fragment"), BAD, ids=[line[:30] for line, _ in BAD])
def test_bad_input_raises_usage_error_with_the_fix(line: str, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(line)
    message = str(caught.value)
    assert isinstance(caught.value, CommandError)
    assert fragment in message
    assert "/incident " in message  # a usage line or a concrete example to copy


def test_every_verb_has_a_bad_form_above() -> None:
    verbs_covered = {line.split(None, 1)[0] for line, _ in BAD if line and line[0] != "/"}
    assert set(VERBS) <= verbs_covered


@pytest.mark.parametrize("verb", [name for name in VERBS if name not in ("help",)])
def test_usage_errors_carry_the_verbs_usage_line(verb: str) -> None:
    """Whatever went wrong after a verb, its usage line is in the message."""
    bad_rest = {
        "open": "",
        "rename": "",
        "reopen": "r" * 301,
        "resolve": "r" * 3001,
        "draft": "",
    }.get(verb, "!!! not valid at all !!!")
    with pytest.raises(UsageError) as caught:
        parse(f"{verb} {bad_rest}")
    assert f"Usage: {VERBS[verb].usage}" in str(caught.value)


@pytest.mark.parametrize(
    ("line", "suggestion"),
    [
        ("opne Payments failing", "open"),
        ("stauts", "status"),
        ("asign comms @dana", "assign"),
        ("taks", "tasks"),
        ("apporve S2", "approve"),
        ("resovle", "resolve"),
        ("INC-3 timelime", "timeline"),
        ("help opn", "open"),
    ],
)
def test_unknown_verb_suggests_the_close_one(line: str, suggestion: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(line)
    message = str(caught.value)
    assert f"Did you mean `{suggestion}`?" in message
    assert "Try `/incident help`" in message


def test_unknown_verb_with_nothing_close_lists_the_commands() -> None:
    with pytest.raises(UsageError) as caught:
        parse("xyzzy now")
    message = str(caught.value)
    assert "There is no command `xyzzy`" in message
    assert "Did you mean" not in message
    assert all(name in message for name in VERBS)


# --- help ----------------------------------------------------------------------


def test_help_lists_every_verb_with_its_usage() -> None:
    listing = help_text()
    for verb in VERBS.values():
        assert verb.usage in listing
        assert verb.summary in listing
    assert "INC-<n>" in listing  # how to name an incident from elsewhere


@pytest.mark.parametrize("name", list(VERBS))
def test_help_for_one_verb_gives_its_usage(name: str) -> None:
    topic = parse(f"help {name}").request
    assert topic == rq.ShowHelp(name)
    one = help_text(name)
    assert one.splitlines()[0] == VERBS[name].usage
    assert one.startswith(f"/incident {name}")
    others = [v.usage for v in VERBS.values() if v.name != name]
    assert not any(usage in one for usage in others)


# --- regressions: inputs that used to escape as non-CommandError exceptions ----


@pytest.mark.parametrize(
    "line",
    [
        "cadence ²",  # str.isdigit() is true for superscripts, int() refuses them
        "snooze ①",
        "eta ³",
        "task @dana ² Check",
        "eta 0001-01-01T00:00+01:00",  # valid ISO 8601, but before year 1 in UTC
        "task @dana 9999-12-31T23:59-01:00 Check",  # after year 9999 in UTC
    ],
)
def test_odd_numbers_and_out_of_range_dates_are_usage_errors(line: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(line)
    assert f"/incident {line.split()[0]}" in str(caught.value)


def test_verb_followed_by_other_whitespace() -> None:
    assert parse("INC-4\tstatus") == rq.Command(rq.ShowStatus(), 4)
    assert parse("open\u3000決済エラー") == rq.Command(rq.OpenIncident("決済エラー", "sev2"))


# --- property: any text is a Command or a CommandError, never a crash ----------


def _parse_or_refuse(line: str) -> None:
    try:
        result: rq.Command | str = parse(line)
    except CommandError as error:
        result = str(error)
    if isinstance(result, str):
        assert result.strip()  # a refusal always says something
        return
    assert isinstance(result, rq.Command)
    assert isinstance(result.request, rq.Request)
    assert result.incident_number is None or result.incident_number >= 0


TOKENS = st.sampled_from(
    [
        "sev1",
        "SEV4",
        "sev9",
        "@dana",
        "@",
        "<@U123|dana>",
        "<@U123>",
        "<@!123>",
        "<@>",
        "30m",
        "1h30m",
        "1d",
        "0m",
        "99999",
        "9999d",
        "14:00",
        "24:00",
        "2026-05-01T14:00Z",
        "2026-02-30T14:00Z",
        "0001-01-01T00:00+01:00",
        "9999-12-31T23:59-01:00",
        "²",
        "٣",
        "S2",
        "s0",
        "S9999999",
        "#3",
        "T2",
        "clear",
        "ack",
        "resolved",
        "INC-2",
        "/incident",
        "决",
        "🔥",
        "\x00",
        "\u200b",
        "password: hunter22secret",
    ]
)
# Numbers and times as people might mistype them: any Unicode digit, units, colons...
NUMBERISH = st.text(
    alphabet=st.one_of(
        st.characters(categories=("Nd", "No")), st.sampled_from("0123456789:.-+TZhmd")
    ),
    min_size=1,
    max_size=8,
)
# ...and every ISO 8601 datetime, with or without an offset (years 1 to 9999).
ISO = st.one_of(
    st.datetimes().map(datetime.isoformat),
    st.builds(
        lambda moment, offset: moment.replace(tzinfo=timezone(timedelta(minutes=offset))),
        st.datetimes(),
        st.integers(-1439, 1439),
    ).map(datetime.isoformat),
)
WORD = st.one_of(TOKENS, NUMBERISH, ISO, st.text(max_size=12), st.integers().map(str))
SEPARATOR = st.sampled_from([" ", "  ", "\t", "\n", "\u3000", ""])


@st.composite
def command_lines(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "/incident ", "/INCIDENT ", "INC-3 ", "inc-0 ", "INC-x "]))
    verb = draw(st.sampled_from([*VERBS, *(v.upper() for v in VERBS), "opne", ""]))
    words = draw(st.lists(WORD, max_size=5))
    parts = [verb]
    for word in words:
        parts.append(draw(SEPARATOR))
        parts.append(word)
    return prefix + "".join(parts)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_a_command_or_a_command_error(line: str) -> None:
    _parse_or_refuse(line)


@settings(max_examples=1000, deadline=None)
@given(command_lines())
def test_verb_like_lines_are_a_command_or_a_command_error(line: str) -> None:
    _parse_or_refuse(line)
