"""Settings: bad policy entries stop the start with the entry named; secrets stay secret."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def test_a_bad_approvers_entry_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVERS", "slack:U1,nonsense:a:b:c")
    with pytest.raises(ValidationError, match="nonsense:a:b:c"):
        Settings(_env_file=None)


def test_a_bad_quorum_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVALS_REQUIRED", "sev1:zero")
    with pytest.raises(ValidationError, match="sev1:zero"):
        Settings(_env_file=None)


def test_policy_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVERS", "slack:U1, slack:group:S9 ,role:comms")
    monkeypatch.setenv("APPROVALS_REQUIRED", "sev1:3")
    monkeypatch.setenv("APPROVE_EMOJI", ":thumbsup:")
    policy = Settings(_env_file=None).approval_policy()
    assert policy.describe() == "slack:U1, slack:group:S9, role:comms"
    assert policy.required["sev1"] == 3 and policy.required["sev2"] == 1
    assert policy.approve_emoji == "thumbsup"


def test_secrets_never_appear_in_repr_or_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-super-secret-token")
    monkeypatch.setenv("WEBHOOK_SECRET", "whsec_abcdefghijklmnop")
    settings = Settings(_env_file=None)
    assert "super-secret" not in repr(settings) and "abcdefghijklmnop" not in str(settings)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-super-secret-token"


def test_the_cli_reports_configuration_errors_without_a_traceback(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console"],
        env={"APPROVERS": "bad:entry:x:y", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 2
    assert "bad:entry:x:y" in result.stderr and "Traceback" not in result.stderr
