"""CANDOR_CONFIG: cadence and templates beyond one environment line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.policy_file import load_policy_file
from commands.approval.policy import PolicyError


def test_cadence_and_templates_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "candor.toml"
    path.write_text(
        '[cadence.first]\nsev3 = "20m"\n[cadence.every]\nsev1 = "15m"\n'
        '[templates.outage]\nkind = "update"\npreapproved = true\n'
        'body = "We are still on it ({title}). Next update by {next_update}."\n',
        encoding="utf-8",
    )
    cadence, templates, *_ = load_policy_file(path)
    assert cadence.first["sev3"] == timedelta(minutes=20)
    assert cadence.first["sev1"] == timedelta(minutes=10)  # untouched defaults stay
    assert cadence.every["sev1"] == timedelta(minutes=15)
    assert templates["outage"].preapproved and "ack" in templates


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('[cadence.every]\nsev9 = "10m"\n', "cadence.every.sev9"),
        ('[cadence.first]\nsev1 = "soon"\n', "cadence.first.sev1"),
        ("[templates.x]\nkind = 'update'\n", "templates.x needs a body"),
        ("not toml at all [", "CANDOR_CONFIG"),
        ('[severities]\nsev9 = ["huge"]\n', "severities.sev9"),
        ('[severities]\nsev1 = "critical"\n', "lists of words"),
        ('[severities]\nsev1 = ["p 0"]\n', "one word"),
        ('[checklist]\nblame = ["x"]\n', "not blame"),
        ("[checklist]\nblame_targets = [3]\n", "lists of words"),
    ],
)
def test_a_bad_policy_file_names_the_problem(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "candor.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyError, match=fragment):
        load_policy_file(path)


def test_severity_words_and_checklist_rows_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "candor.toml"
    path.write_text(
        '[severities]\nsev1 = ["Blocker", "critical"]\nsev3 = []\n'
        '[checklist]\nblame_targets = ["the night shift"]\npassword_words = ["door code"]\n',
        encoding="utf-8",
    )
    policy = load_policy_file(path)
    # sev1's words replaced, sev3's ("minor") removed, sev2's ("major") kept.
    assert policy.severity_words == {"blocker": "sev1", "critical": "sev1", "major": "sev2"}
    assert policy.checklist.blame("It broke because the night shift pushed")
    assert policy.checklist.blame("because the intern broke it")  # defaults stay
    assert policy.checklist.password("the door code is 1234")
