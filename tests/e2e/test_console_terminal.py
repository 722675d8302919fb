"""The console at a terminal (a pseudo-terminal, the real CLI): editing keys, history
from the previous run, Tab completion, a draft of several lines, a 10 KB paste."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.terminal import ENTER, ESCAPE, LEFT, PASTE_END, PASTE_START, TAB, UP, Terminal


def test_left_arrow_and_a_typed_letter_fix_a_typo_before_the_line_runs(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path)
    terminal.prompt()
    terminal.send("/incident lst" + LEFT + LEFT + "i" + ENTER)  # lst → list
    shown = terminal.see("No open incidents")
    terminal.prompt()
    screen = terminal.leave()
    assert "There is no command" not in screen
    assert "Open incidents" in shown


def test_up_arrow_recalls_a_line_typed_in_the_previous_run(tmp_path: Path) -> None:
    first = Terminal(tmp_path)
    first.prompt()
    first.send("/incident open Login broken sev3" + ENTER)
    first.see("(you are now in #inc-1-login-broken)")
    first.leave()

    second = Terminal(tmp_path)
    second.prompt("inc-1-login-broken")  # and the console is back where it was left
    second.send(":channel general" + ENTER)
    second.prompt()
    second.send(UP * 3 + ENTER)  # past :channel and the last run's :quit, to its open
    second.see("(you are now in #inc-2-login-broken)")
    second.leave()
    history = tmp_path / "candor.db-console-history"  # beside the database, its owner's only
    assert "/incident open Login broken sev3" in history.read_text()
    assert history.stat().st_mode & 0o077 == 0


def test_tab_completes_a_verb(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path)
    terminal.prompt()
    terminal.send("/incident lis")
    terminal.see("lis")
    terminal.send(TAB)
    terminal.see("t")  # the completion, drawn after what was typed
    terminal.send(ENTER)
    terminal.see("No open incidents")
    terminal.leave()


def test_tab_completes_a_statement_number_from_the_database(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path)
    terminal.prompt()
    terminal.send("/incident open Payments failing sev2" + ENTER)
    terminal.prompt("inc-1-payments-failing")
    terminal.send("/incident approve s")
    terminal.see("approve s")
    terminal.send(TAB)
    terminal.see("S1")  # the ack draft's number, drawn over the s
    terminal.send(ENTER)
    terminal.see("✅ S1 approved by @you")
    terminal.leave()


def test_a_draft_of_several_lines_keeps_its_line_breaks(tmp_path: Path) -> None:
    terminal = Terminal(tmp_path)
    terminal.prompt()
    terminal.send("/incident open Payments failing sev2" + ENTER)
    terminal.prompt("inc-1-payments-failing")
    # Esc Enter for a new line, and a trailing backslash: both continue the entry
    terminal.send("/incident draft Payments are failing." + ESCAPE + ENTER)
    terminal.send("We are rolling back.\\" + ENTER)
    terminal.send("Next update by 23:59 UTC." + ENTER)
    terminal.see("S2 · update draft for INC-1")
    terminal.see("\r\n    Payments are failing.\r\n    We are rolling back.\r\n    Next update by")
    terminal.leave()


def test_a_10kb_paste_arrives_whole(tmp_path: Path) -> None:
    pasted = "".join(f"<{n:05d}>" for n in range(1500))  # 10,500 characters, numbered
    terminal = Terminal(tmp_path)
    terminal.prompt()
    terminal.send(PASTE_START + pasted + PASTE_END)
    terminal.send(ENTER)
    terminal.see(f"[#general] you: {pasted}")  # said in the channel, every character
    terminal.leave()
