"""Who may do what, at the console (the real CLI through stdin): a second person with no
role, typing after `:as mallory`, cannot give themselves comms, give it to anyone, edit
the draft or approve it; `help` says who may run each verb; nothing reaches #public."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.test_console import in_order, run_console

SCRIPT = """\
/incident open Payments failing sev2
:as mallory
:channel inc-1-payments-failing
/incident assign comms @mallory
/incident assign comms @dana
/incident edit S1 Zanzibar says everything is fine. Please ignore.
:react ✅ S1
/incident help
/incident help edit
:as you
:public
/incident assign comms @dana
/incident timeline
"""

# `help`: each verb's line ends with who may run it, in brackets (the default table):
# these words, and for everything but the open verbs an admin too.
WHO_MAY = {
    "open": {"anyone"},
    "draft": {"anyone"},
    "timeline": {"anyone"},
    "assign": {"commander"},
    "unassign": {"commander"},
    "edit": {"author", "commander", "comms"},
    "approve": {"approvers"},
    "reject": {"approvers"},
    "state": {"commander", "comms"},
    "resolve": {"commander", "comms"},
    "reopen": {"commander", "comms"},
    "rename": {"commander", "comms"},
}
ROLE_WORDS = {"anyone", "author", "commander", "comms", "approvers"}


def who_may(line: str) -> tuple[set[str], str]:
    """The role words in a help line's trailing ``[...]``, and the bracket itself."""
    line = line.rstrip()
    assert line.endswith("]"), line
    bracket = line[line.rindex(" [") + 2 : -1]
    return set(re.findall(r"[a-z]+", bracket.lower())) & ROLE_WORDS, bracket


def test_a_second_person_without_a_role_is_refused_and_help_says_who_may(
    tmp_path: Path,
) -> None:
    output = run_console(tmp_path, SCRIPT)
    assert "Traceback" not in output
    in_order(
        output,
        "(now typing as @mallory)",
        "mallory@#inc-1-payments-failing> /incident assign comms @mallory",
        "(only @mallory sees this) ✖ Nobody grants themselves a role.",
        "Ask whoever may assign roles (",
        "mallory@#inc-1-payments-failing> /incident assign comms @dana",
        "(only @mallory sees this) ✖ Only ",
        " may `assign` on INC-1.",
        "commander: you",
        "mallory@#inc-1-payments-failing> /incident edit S1",
        "(only @mallory sees this) ✖ Only the draft's author",
        "may `edit` on INC-1.",
        "@mallory reacted ✅ on",
        "(only @mallory sees this) ✖ Your approve of S1 was not counted: you are not an approver",
        "mallory@#inc-1-payments-failing> /incident help\n",
    )
    help_start = output.index("mallory@#inc-1-payments-failing> /incident help\n")
    help_end = output.index("mallory@#inc-1-payments-failing> /incident help edit")
    listing = output[help_start:help_end]
    lines = {
        line.split()[1]: line
        for line in listing.splitlines()
        if line.strip().startswith("/incident ") and "only @mallory" not in line
    }
    first = next(line for line in listing.splitlines() if "(only @mallory sees this)" in line)
    lines[first.split("/incident ")[1].split()[0]] = first
    for verb, who in WHO_MAY.items():
        words, bracket = who_may(lines[verb])
        assert words == who, (verb, bracket)
        assert ("admin" in bracket) == (who != {"anyone"}), (verb, bracket)
    in_order(
        output,
        "/incident help edit",
        "/incident edit <S-number> <text>",
        "Who may: the draft's author",
        "an admin (ADMINS).",
    )

    # Back as the commander: nothing reached #public, and assigning works for her.
    in_order(output, "(now typing as @you)", "you@#inc-1-payments-failing> :public\n")
    after_public = output.split("you@#inc-1-payments-failing> :public\n", 1)[1]
    assert after_public.startswith("you@#inc-1-payments-failing> /incident assign comms @dana")
    assert "Zanzibar" not in output.split("/incident edit S1 Zanzibar", 1)[1]
    in_order(
        output,
        "/incident assign comms @dana",
        "@dana is now comms for INC-1 (assigned by @you)",
        "Timeline of INC-1",
        "`assign` by mallory refused: Nobody grants themselves a role.",
        "`assign` by mallory refused: Only ",
        " may `assign` on INC-1.",
        "`edit` by mallory refused",
        "approve of S1 by mallory ignored: you are not an approver",
        "comms: dana",
    )
    assert "comms: mallory" not in output and "mallory is now" not in output
