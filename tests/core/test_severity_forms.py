"""Severity as people type it at the end of `/incident open`, through the Desk: every
known form opens at that severity with a clean title and channel; a severity-looking
word that names none is refused with the list and opens nothing."""

from __future__ import annotations

import pytest

from commands.domain import channel_name
from tests.core.test_commands import refused
from tests.team import Team

OPENED = [
    ("open Payments failing sev1", "Payments failing", "sev1"),
    ("open Payments failing SEV-1", "Payments failing", "sev1"),
    ("open Payments failing Sev_3", "Payments failing", "sev3"),
    ("open Payments failing sev 1", "Payments failing", "sev1"),
    ("open Login broken SEV 4", "Login broken", "sev4"),
    ("open Payments failing severity2", "Payments failing", "sev2"),
    ("open Payments failing s1", "Payments failing", "sev1"),
    ("open Payments failing p1", "Payments failing", "sev1"),
    ("open Payments failing P3", "Payments failing", "sev3"),
    ("open Payments failing ＳＥＶ１", "Payments failing", "sev1"),  # full-width
    ("open Payments failing critical", "Payments failing", "sev1"),
    ("open Payments failing MAJOR", "Payments failing", "sev2"),
    ("open Payments failing minor", "Payments failing", "sev3"),
    ("open 支付失败 sev1", "支付失败", "sev1"),
    ("open 支付失败　sev-1", "支付失败", "sev1"),  # an ideographic space
    # Only the end of the line is read: a title that contains a severity keeps it.
    ("open Login broken for p1 customers", "Login broken for p1 customers", "sev2"),
    ("open sev1 dashboards blank", "sev1 dashboards blank", "sev2"),
    ("open Uploads failing on S3", "Uploads failing on S3", "sev2"),  # capital S: not s3
    ("open Uploads failing on S3 sev1", "Uploads failing on S3", "sev1"),
    ("open Payments failing", "Payments failing", "sev2"),
]


@pytest.mark.parametrize(("line", "title", "severity"), OPENED)
async def test_each_form_opens_at_that_severity_with_a_clean_title(
    team: Team, line: str, title: str, severity: str
) -> None:
    await team.open("alice", f"/incident {line}")
    incident = await team.incident()
    assert (incident.title, incident.severity) == (title, severity)
    [channel] = [c["name"] for c in team.chat.channels.values()]
    assert channel == channel_name(1, title)  # nothing of the severity in the name


REFUSED = [
    ("open Payments failing sev9", "`sev9`"),
    ("open Payments failing SEV-0", "`SEV-0`"),
    ("open Payments failing sev 9", "`sev 9`"),
    ("open Payments failing p7", "`p7`"),
    ("open Payments failing s5", "`s5`"),
    ("open Payments failing sev", "`sev`"),
    ("open 支付失败 sev9", "`sev9`"),
    ("open 支付失败 p0", "`p0`"),
]


@pytest.mark.parametrize(("line", "typed"), REFUSED)
async def test_an_unknown_severity_is_refused_with_the_list_and_opens_nothing(
    team: Team, line: str, typed: str
) -> None:
    reply = await refused(team, "alice", f"/incident {line}", typed, "is not a severity")
    assert "sev1, sev2, sev3, sev4" in reply.plain
    assert "Usage: /incident open" in reply.plain


async def test_a_team_names_its_own_severity_words(team: Team) -> None:
    team.desk.deps.severity_words = {"blocker": "sev1", "meh": "sev4"}
    await team.open("alice", "/incident open Checkout down blocker")
    assert ((await team.incident()).title, (await team.incident()).severity) == (
        "Checkout down",
        "sev1",
    )
    # The defaults it replaced are ordinary words again.
    await team.open("bob", "/incident open Search results minor")
    assert (await team.incident(2)).title == "Search results minor"


async def test_help_says_where_severity_is_read(team: Team) -> None:
    reply = await team.say("alice", "/incident help open")
    assert "last word" in reply.plain and "sev9 is refused" in reply.plain
