""".env.example is where operators learn the settings: it must name every one there is."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings


def test_env_example_names_every_setting_and_nothing_else() -> None:
    example = (Path(__file__).parents[2] / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert named == {name.upper() for name in Settings.model_fields}


def test_the_readme_configuration_table_names_every_setting() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))
    missing = {name.upper() for name in Settings.model_fields} - named
    assert not missing, f"README.md does not explain {sorted(missing)}"
