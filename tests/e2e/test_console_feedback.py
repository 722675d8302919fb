"""Every `:` command the console cannot run says what was wrong with it — an unknown
command, a missing argument, a message that does not exist or is not a draft — and
nothing happens; only `:help` prints the whole list. The real CLI through a pipe."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_console import in_order, run_console


def test_each_mistake_gets_its_own_line_and_changes_nothing(tmp_path: Path) -> None:
    output = run_console(
        tmp_path,
        "/incident open Payments failing sev2\n"
        ":foo\n"
        ":reac ✅ S1\n"
        ":react ✅\n"
        ":react ✅ m9999\n"
        ":react ✅ m1\n"
        ":react 🎉 S1\n"
        ":as\n"
        ":as dana smith\n"
        ":skip\n"
        ":skip soon\n"
        ":channels extra\n"
        "/incident status\n",
    )
    in_order(
        output,
        "✖ There is no console command :foo. :help lists them.",
        "✖ There is no console command :reac. Did you mean :react?",
        "✖ :react needs the S-number or message. Usage: :react <emoji> <S-number or message>",
        "✖ No message m9999 in #inc-1-payments-failing: nothing happened.",
        "@you reacted ✅ on m1",
        "✖ m1 is not a draft: only drafts take votes",
        "✖ 🎉 is not a vote",
        "✖ :as needs the name. Usage: :as <name>, e.g. :as dana.",
        "✖ :as takes 1 word, not 2. Usage: :as <name>",
        "✖ :skip needs the duration. Usage: :skip <duration>",
        "✖ :skip takes",
        "✖ :channels takes nothing after it.",
        "S1 ack — draft",  # S1 is still waiting: no mistake above voted
    )
    assert "Console commands:" not in output  # never the whole help for a mistake
    assert "now typing as" not in output
    assert "clock moved forward" not in output
    assert "S1 approved" not in output


def test_help_prints_the_list_and_the_keys(tmp_path: Path) -> None:
    output = run_console(tmp_path, ":help\n")
    in_order(output, "Console commands:", ":react <emoji> <S1|m12>", "Esc Enter")
