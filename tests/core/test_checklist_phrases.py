"""The checklist on a draft, as the team sees it: blame shifted onto people or vendors is
flagged, a password written out in words is flagged and blocks approval, ordinary
sentences about passwords and engineers pass, and a team's own rows count."""

from __future__ import annotations

import pytest

from commands.approval.phrases import ChecklistPhrases
from tests.team import Team

NEXT = " Next update by 15:00 UTC. You can retry now."


def line_of(team: Team, statement: str, label: str) -> str:
    draft = team.chat.draft_message(statement)
    [line] = [ln for ln in draft.text.splitlines() if label in ln]
    return line


BLAMING = [
    ("Checkout failed because the intern broke it.", "because the intern"),
    ("This was our vendor's fault.", "our vendor"),
    ("The outage was caused by a contractor.", "caused by a contractor"),
    ("A new hire's mistake took payments down.", "A new hire's mistake"),
    ("It happened due to the vendor.", "due to the vendor"),
    ("The provider's outage affected payments.", "provider's"),
]


@pytest.mark.parametrize(("body", "quoted"), BLAMING)
async def test_blame_on_people_or_vendors_is_flagged_on_the_draft(
    team: Team, body: str, quoted: str
) -> None:
    await team.open("alice")
    await team.say("alice", f"/incident draft {body}{NEXT}")
    line = line_of(team, "S2", "no blame-shifting")
    assert line.startswith("⚠️") and f"“{quoted}”" in line


PASSWORDS = [
    "Log in with password hunter2 until it is fixed.",
    "Use the shared account (pwd: x) meanwhile.",
    "The passcode is 4471 for the door.",
    "The admin password is swordfish.",
    "Wi-Fi PIN 2231 works.",
]


@pytest.mark.parametrize("body", PASSWORDS)
async def test_a_password_in_words_is_flagged_and_blocks_approval(team: Team, body: str) -> None:
    await team.open("alice")
    await team.say("alice", "/incident assign comms @bob")
    team.enter_latest("bob")
    await team.say("alice", f"/incident draft Payments are failing. {body}{NEXT}")
    line = line_of(team, "S2", "no secrets")
    assert line.startswith("⛔") and "a password written out" in line
    assert "hunter2" not in line and "4471" not in line  # never quoted back
    reply = await team.say("bob", "/incident approve S2")
    assert reply.is_error and "password written out" in reply.plain
    assert (await team.incident()).last_public_update_at is None


ORDINARY = [
    "Your password is safe. An engineer is on it and we own this mistake.",
    "Please reset your password if you reused it elsewhere.",
    "Password-protected pages were slow. We will pin this message.",
    "Passwords: we recommend changing them. The engineers fixed the error.",
]


@pytest.mark.parametrize("body", ORDINARY)
async def test_ordinary_sentences_pass(team: Team, body: str) -> None:
    await team.open("alice")
    await team.say("alice", f"/incident draft Payments are failing. {body}{NEXT}")
    assert line_of(team, "S2", "no blame-shifting").startswith("✅")
    assert line_of(team, "S2", "no secrets").startswith("✅")


async def test_a_team_extends_the_table(team: Team) -> None:
    team.desk.deps.checklist = ChecklistPhrases().extended(
        blame_phrases=["dropped the ball"],
        blame_targets=["the night shift"],
        password_words=["door code"],
    )
    await team.open("alice")
    await team.say("alice", f"/incident draft The night shift broke it.{NEXT}")
    assert "“The night shift broke”" in line_of(team, "S2", "no blame-shifting")
    await team.say("alice", f"/incident draft Someone dropped the ball.{NEXT}")
    assert "dropped the ball" in line_of(team, "S3", "no blame-shifting")
    await team.say("alice", f"/incident draft The door code is 1234.{NEXT}")
    assert line_of(team, "S4", "no secrets").startswith("⛔")
