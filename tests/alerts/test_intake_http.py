"""The alert routes' edges: 404 while ALERTS_TOKEN is unset, 401 and nothing written on
a wrong or missing token, 400 with the reason on a malformed body, 413 past
ALERTS_MAX_BODY (which may exceed HTTP_MAX_BODY on these routes only)."""

from __future__ import annotations

import json

import pytest

from storage import AlertGroup, Incident, TimelineEvent
from tests.alerts.conftest import AlertBot, BotFactory, fixture

ROUTES = ("alertmanager", "grafana", "generic")


async def _nothing_written(bot: AlertBot) -> None:
    for model in (Incident, AlertGroup, TimelineEvent):
        assert await bot.count(model) == 0
    assert bot.chat.channels["incidents"].messages == []


async def test_the_routes_answer_404_while_no_token_is_set(alert_bot: BotFactory) -> None:
    bot = await alert_bot(alerts_token=None)
    for route in ROUTES:
        status, _ = await bot.post(route, fixture("generic_firing"), token="anything")
        assert status == 404
    await _nothing_written(bot)


@pytest.mark.parametrize("token", [None, "wrong-token", "", "alerts-test-token-4f1c9"])
async def test_a_wrong_or_missing_token_is_refused_and_writes_nothing(
    alert_bot: BotFactory, token: str | None
) -> None:
    bot = await alert_bot()
    for route, body in (
        ("alertmanager", fixture("alertmanager_firing")),
        ("grafana", fixture("grafana_firing")),
        ("generic", fixture("generic_firing")),
    ):
        status, answer = await bot.post(route, body, token=token)
        assert status == 401
        assert answer == {"error": "bad or missing bearer token"}
    await _nothing_written(bot)


async def test_another_scheme_is_refused(alert_bot: BotFactory) -> None:
    bot = await alert_bot()
    async with bot.http.post(
        f"{bot.url}/alerts/generic",
        json=fixture("generic_firing"),
        headers={"Authorization": "Basic YWxlcnRzOnRva2Vu"},
    ) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
    await _nothing_written(bot)


@pytest.mark.parametrize(
    ("route", "raw", "reason"),
    [
        ("generic", b"{not json", "the body is not JSON"),
        ("generic", b"[1, 2]", "the body should be a JSON object"),
        ("generic", b'{"title": "x"}', "key: Field required"),
        ("generic", b'{"key": "k", "title": "x", "status": "burning"}', "status: Input should be"),
        ("alertmanager", b'{"status": "firing", "alerts": []}', "groupKey: Field required"),
        (
            "alertmanager",
            b'{"version": "4", "status": "firing", "groupKey": "g", "alerts": []}',
            "alerts: List should have at least 1 item",
        ),
        (
            "alertmanager",
            b'{"version": "3", "status": "firing", "groupKey": "g", '
            b'"alerts": [{"status": "firing"}]}',
            "version '3': Candor reads Alertmanager's version 4",
        ),
        ("grafana", b'{"status": "firing", "alerts": [{"labels": {}}]}', "alerts.0.status"),
    ],
)
async def test_a_malformed_body_gets_400_with_the_reason(
    alert_bot: BotFactory, route: str, raw: bytes, reason: str
) -> None:
    bot = await alert_bot()
    status, answer = await bot.post(route, None, raw=raw)
    assert status == 400
    assert reason in answer["error"]
    assert "\n" not in answer["error"] and "Traceback" not in answer["error"]
    await _nothing_written(bot)


async def test_an_oversized_body_gets_413(alert_bot: BotFactory) -> None:
    bot = await alert_bot(alerts_max_body=4096)
    body = fixture("generic_firing")
    body["description"] = "x" * 5000
    status, _ = await bot.post("generic", body)
    assert status == 413
    await _nothing_written(bot)


async def test_the_alert_routes_take_more_than_the_general_body_limit(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot(http_max_body=1024)  # ALERTS_MAX_BODY stays at its 4 MiB default
    hook = fixture("alertmanager_firing")
    template = hook["alerts"][0]
    hook["alerts"] = [
        {**template, "fingerprint": f"{n:016x}", "labels": {**template["labels"], "n": str(n)}}
        for n in range(40)
    ]
    assert len(json.dumps(hook)) > 10 * 1024
    status, answer = await bot.post("alertmanager", hook)
    assert (status, answer["received"][0]["outcome"]) == (200, "opened")
    async with bot.http.post(f"{bot.url}/status/subscribe", data=b"x" * 2048) as response:
        assert response.status == 413  # elsewhere HTTP_MAX_BODY still holds


async def test_metrics_count_notifications_by_source_and_outcome(alert_bot: BotFactory) -> None:
    bot = await alert_bot()
    await bot.post("alertmanager", fixture("alertmanager_firing"))
    await bot.post("alertmanager", fixture("alertmanager_firing"))
    await bot.post("generic", fixture("generic_firing"), token="wrong")
    await bot.post("grafana", None, raw=b"{")
    admin = f"http://127.0.0.1:{bot.runtime.admin_port}/metrics"
    async with bot.http.get(admin) as response:
        scraped = await response.text()
    for line in (
        'candor_alert_notifications_total{outcome="opened",source="alertmanager"} 1.0',
        'candor_alert_notifications_total{outcome="duplicate",source="alertmanager"} 1.0',
        'candor_alert_notifications_total{outcome="unauthorized",source="generic"} 1.0',
        'candor_alert_notifications_total{outcome="malformed",source="grafana"} 1.0',
    ):
        assert line in scraped
