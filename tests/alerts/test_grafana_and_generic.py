"""Grafana's webhook and the generic JSON (fixtures): each opens its incident once,
and its resolution prompts a monitoring draft. The severity table comes from
CANDOR_CONFIG's [alerts]."""

from __future__ import annotations

from pathlib import Path

from storage import StatementState
from tests.alerts.conftest import BotFactory, fixture


async def test_a_grafana_rule_opens_one_incident_and_its_resolution_prompts_a_draft(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot()
    _, answer = await bot.post("grafana", fixture("grafana_firing"))
    assert answer == {"received": [{"outcome": "opened", "incident": "INC-1"}]}
    (incident,) = await bot.incidents()
    assert incident.title == "p99 login latency 4.2s on auth-eu-1"
    assert incident.severity == "sev3"  # severity="warning"
    assert incident.opened_by == "system:grafana"
    await bot.screen.wait_for(r"Opened by Grafana: 1 alert firing in Login latency high")
    assert (await bot.post("grafana", fixture("grafana_firing")))[1]["received"][0][
        "outcome"
    ] == "duplicate"
    _, answer = await bot.post("grafana", fixture("grafana_resolved"))
    assert answer == {"received": [{"outcome": "resolved", "incident": "INC-1"}]}
    await bot.screen.wait_for(r"Every alert in Login latency high has resolved \(Grafana\)")
    ack, monitoring = await bot.statements()
    assert (ack.kind, monitoring.template) == ("ack", "monitoring")
    assert monitoring.state == StatementState.DRAFT
    assert "login" not in (ack.body + monitoring.body).lower()
    assert len(await bot.incidents()) == 1


async def test_a_grafana_body_with_two_rules_opens_two_incidents(alert_bot: BotFactory) -> None:
    bot = await alert_bot()
    hook = fixture("grafana_firing")
    other = {**hook["alerts"][0], "fingerprint": "1111222233334444"}
    other["labels"] = {**other["labels"], "alertname": "Signup errors"}
    other["annotations"] = {"summary": "signup 5xx"}
    hook["alerts"].append(other)
    _, answer = await bot.post("grafana", hook)
    assert [r["outcome"] for r in answer["received"]] == ["opened", "opened"]
    titles = [i.title for i in await bot.incidents()]
    assert titles == ["p99 login latency 4.2s on auth-eu-1", "signup 5xx"]


async def test_a_generic_key_opens_once_and_resolves(alert_bot: BotFactory) -> None:
    bot = await alert_bot()
    _, answer = await bot.post("generic", fixture("generic_firing"))
    assert answer == {"received": [{"outcome": "opened", "incident": "INC-1"}]}
    (incident,) = await bot.incidents()
    assert incident.title == "Status page probe failing from eu-west"
    assert incident.severity == "sev2"  # severity="error"
    await bot.screen.wait_for(r"S1 · ack draft for INC-1")
    _, answer = await bot.post("generic", fixture("generic_resolved"))
    assert answer == {"received": [{"outcome": "resolved", "incident": "INC-1"}]}
    await bot.screen.wait_for(r"Every alert in Status page probe failing from eu-west has resolved")
    # Firing again while the incident is open: said once in the channel, no new incident.
    _, answer = await bot.post("generic", fixture("generic_firing"))
    assert answer == {"received": [{"outcome": "updated", "incident": "INC-1"}]}
    await bot.screen.wait_for(r"is firing again")
    assert len(await bot.incidents()) == 1


async def test_the_severity_label_and_table_come_from_candor_config(
    alert_bot: BotFactory, tmp_path: Path
) -> None:
    config = tmp_path / "candor.toml"
    config.write_text(
        '[alerts]\nseverity_label = "priority"\ndefault_severity = "sev4"\n'
        '[alerts.severities]\nP1 = "sev1"\n'
    )
    bot = await alert_bot(candor_config=config)
    hook = fixture("alertmanager_firing")
    hook["alerts"][0]["labels"]["priority"] = "p1"  # severity="critical" is not read now
    await bot.post("alertmanager", hook)
    generic = {**fixture("generic_firing"), "severity": "urgent"}  # in no table: the default
    await bot.post("generic", generic)
    assert [i.severity for i in await bot.incidents()] == ["sev1", "sev4"]


async def test_a_secret_in_an_alert_is_withheld_everywhere(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot()
    leaked = "token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    body = {**fixture("generic_firing"), "title": f"Deploy bot failing: {leaked}"}
    body["description"] = f"auth with {leaked} refused"
    body["url"] = "https://ops:hunter2hunter2@uptime.internal/monitors/17"
    _, answer = await bot.post("generic", body)
    assert answer["received"][0]["outcome"] == "opened"
    (incident,) = await bot.incidents()
    assert incident.title == "[withheld: it looks like a GitHub token]"
    assert incident.description == "[withheld: it looks like a GitHub token]"
    await bot.runtime.desk.settle()
    shown = "\n".join(bot.screen.lines)
    assert "ghp_" not in shown and "withheld: it looks like a GitHub token" in shown
    assert "hunter2" not in shown and "uptime.internal/monitors/17" in shown
    async with bot.runtime.store.reading() as uow:
        events = await uow.timeline.of_incident(incident.id or 0)
    assert not any("ghp_" in e.text for e in events)
