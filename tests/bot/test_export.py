"""`candor export INC-n`: the whole record of an incident, as JSON that reads back to the
same record, or as Markdown with the chart; the real CLI in a subprocess."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.export import collect, load
from commands.ports import Actor, ChannelRef
from commands.record.loading import load_record
from storage import Store
from tests.core.scripted_incident import build_team, run_scripted_incident
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import Team

SVG = "{http://www.w3.org/2000/svg}"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    out: str
    err: str


async def candor(database_url: str, cwd: Path, *args: str) -> Run:
    env = {
        "DATABASE_URL": database_url,
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "export",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return Run(process.returncode, out.decode("utf-8"), err.decode("utf-8"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """Where the CLI runs (and writes): apart from the test's SQLite database."""
    work = tmp_path / "work"
    work.mkdir()
    return work


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _update_marks(svg_text: str) -> int:
    svg = ET.fromstring(svg_text)  # noqa: S314 (our own output)
    return sum(1 for e in svg.iter() if "update" in (e.get("class") or "").split())


async def _scripted(store: Store, clock: FakeClock, chat: RecordingChat) -> Team:
    team = build_team(store, clock, chat)
    await run_scripted_incident(team)
    return team


async def test_json_reads_back_to_the_same_record(
    store: Store, clock: FakeClock, chat: RecordingChat, database_url: str, workdir: Path
) -> None:
    team = await _scripted(store, clock, chat)
    run = await candor(database_url, workdir, "INC-1", "--format", "json")
    assert run.code == 0, run.err
    document = load(run.out)

    incident = await team.incident()
    async with store.reading() as uow:
        expected = await collect(uow, incident, document.exported_at)
        record = await load_record(uow, incident, document.exported_at)
    assert document == expected
    assert document.communication.public == record.public
    assert document.communication.approval_median == record.approval_median
    assert document.incident.ref == "INC-1" and document.incident.state == "resolved"
    assert [r.role for r in document.roles] == ["commander", "comms"]
    assert [(t.number, t.title) for t in document.tasks] == [(1, "Rotate the replica password")]
    states = {s.number: s.state for s in document.statements}
    assert states == {1: "published", 2: "published", 3: "rejected", 4: "published", 5: "published"}
    s2 = document.statements[1]
    assert [(v.user_id, v.decision) for v in s2.votes] == [("bruno", "approve")]
    assert len(s2.deliveries) == 3
    assert any(e.kind == "statement_rejected" for e in document.timeline)
    # Figures readable straight from the JSON; webhook credentials never written.
    assert '"update_count": 4' in run.out and '"approval_median": "PT3M30S"' in run.out
    assert "hooks.example.com/x" in run.out and "s3cret" not in run.out


async def test_markdown_to_a_file_with_the_chart_beside_it(
    store: Store, clock: FakeClock, chat: RecordingChat, database_url: str, workdir: Path
) -> None:
    await _scripted(store, clock, chat)
    run = await candor(database_url, workdir, "inc-1", "-o", "INC-1.md")
    assert run.code == 0, run.err
    assert "Wrote INC-1 to INC-1.md." in run.err
    assert _files(workdir) == ["INC-1.md", "INC-1.svg"]
    markdown = (workdir / "INC-1.md").read_text()
    chart = (workdir / "INC-1.svg").read_text()

    assert markdown.startswith("# INC-1 · Payments failing\n")
    assert "![Public updates of INC-1 against the times they were due](INC-1.svg)" in markdown
    headings = re.findall(r"^## (.+)$", markdown, re.MULTILINE)
    assert headings == ["Communication record", "Timeline", "Roles", "Tasks", "Statements"]
    for line in (
        "- **First update:** first public update 4 min after open",
        "- **Public updates:** 4 (S1 12:04 UTC, S2 12:41 UTC, S4 13:06 UTC, S5 13:24 UTC)",
        "- **Silence:** longest silence 37 min (S1 12:04 UTC → S2 12:41 UTC)",
        "- **Late:** 2 late updates: S2 came 11 min late; S4 came 5 min late",
        "- **Approvals:** approval took 3 min 30 s median, 4 min at most (4 statements)",
        "- **Deliveries:** 12 deliveries, 1 retried, 1 failed",
        "| T1 | Rotate the replica password | carol | 12:50 UTC | 12:38 UTC by alice |",
        "### S3 · update · rejected",
        "> We think it is the database, maybe",
    ):
        assert line in markdown, line
    assert "s3cret" not in markdown
    assert _update_marks(chart) == 4


async def test_a_file_that_cannot_be_written_is_one_line_and_no_traceback(
    store: Store, clock: FakeClock, chat: RecordingChat, database_url: str, workdir: Path
) -> None:
    await _scripted(store, clock, chat)
    run = await candor(database_url, workdir, "inc-1", "-o", "/missing/dir/x.md")
    assert run.code == 1
    assert run.err.strip().splitlines() == [
        "candor: cannot write /missing/dir/x.svg: no such file or directory "
        "(create the directory first, or choose another -o)"
    ]
    assert run.out == ""
    assert _files(workdir) == []


async def test_markdown_on_standard_output_carries_the_chart_inline(
    store: Store, clock: FakeClock, chat: RecordingChat, database_url: str, workdir: Path
) -> None:
    await _scripted(store, clock, chat)
    run = await candor(database_url, workdir, "INC-1")
    assert run.code == 0, run.err
    match = re.search(r"\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)", run.out)
    assert match is not None
    assert _update_marks(base64.b64decode(match.group(1)).decode("utf-8")) == 4
    assert _files(workdir) == []  # nothing written beside it


async def test_user_text_cannot_format_the_markdown(
    store: Store, clock: FakeClock, chat: RecordingChat, database_url: str, workdir: Path
) -> None:
    team = build_team(store, clock, chat)
    await team.open("alice", "/incident open Pay|ments <script>x</script> *bold* [a](b) sev3")
    await team.say("alice", "/incident draft # Not a heading\n- not a list\nfine | text")
    run = await candor(database_url, workdir, "INC-1")
    assert run.code == 0, run.err
    assert "# INC-1 · Pay\\|ments &lt;script&gt;x&lt;/script&gt; \\*bold\\* \\[a\\](b)\n" in run.out
    assert "<script>" not in run.out
    assert "> \\# Not a heading\n> \\- not a list\n> fine \\| text" in run.out


async def test_unknown_ambiguous_and_chosen_workspaces(
    store: Store, clock: FakeClock, chat: RecordingChat, database_url: str, workdir: Path
) -> None:
    team = build_team(store, clock, chat)
    await team.open("alice")
    elsewhere = ChannelRef(chat.name, "T2", "GENERAL")
    opened = await team.desk.handle_text(
        "/incident open Search is slow sev3", Actor(chat.name, "zoe", "Zoe"), elsewhere
    )
    assert not opened.is_error, opened.plain

    unknown = await candor(database_url, workdir, "INC-9")
    assert unknown.code == 1 and unknown.out == ""
    assert unknown.err.strip() == "candor: There is no INC-9."
    ambiguous = await candor(database_url, workdir, "INC-1", "--format", "json")
    assert ambiguous.code == 1 and ambiguous.out == ""
    assert "INC-1 exists in 2 workspaces: chat:T1, chat:T2." in ambiguous.err
    assert "--workspace chat:T1" in ambiguous.err
    wrong = await candor(database_url, workdir, "INC-1", "--workspace", "T3")
    assert wrong.code == 1
    assert "There is no INC-1 in workspace T3. It exists in chat:T1, chat:T2." in wrong.err
    chosen = await candor(database_url, workdir, "INC-1", "--format", "json", "--workspace", "T2")
    assert chosen.code == 0, chosen.err
    assert load(chosen.out).incident.title == "Search is slow"
    by_platform = await candor(database_url, workdir, "1", "--workspace", "chat:T1")
    assert by_platform.code == 0 and "# INC-1 · Payments failing" in by_platform.out
    nonsense = await candor(database_url, workdir, "payments")
    assert nonsense.code == 1 and "give it like INC-42" in nonsense.err
