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
    cadence, templates, _ = load_policy_file(path)
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
    ],
)
def test_a_bad_policy_file_names_the_problem(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "candor.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PolicyError, match=fragment):
        load_policy_file(path)
