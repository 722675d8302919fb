"""The real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``) sends to the
bot through the receiver snippet pasted from the README: one incident with its
acknowledgement draft, the group update, the resolution prompt. Waits are on what the
bot shows, with deadlines."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.alerts.conftest import TOKEN, BotFactory

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = pytest.mark.skipif(
    BINARY is None,
    reason="Prometheus Alertmanager is not installed (apt-get install prometheus-alertmanager; "
    ".ci/run installs it)",
)

README = Path(__file__).parents[2] / "README.md"
SHORT_WAITS = "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n"


def _readme_receiver(url: str, token: str) -> str:
    """The README's Alertmanager snippet as a user pastes it, pointed at this bot, with
    waits short enough that it sends at once."""
    readme = README.read_text(encoding="utf-8")
    start = readme.index("```yaml", readme.index("**Prometheus Alertmanager**")) + len("```yaml")
    snippet = readme[start : readme.index("```", start)]
    snippet = snippet.replace("https://candor.example.com", url)
    snippet = snippet.replace("<ALERTS_TOKEN>", token)
    return snippet.replace("  group_by: [alertname]\n", "  group_by: [alertname]\n" + SHORT_WAITS)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _until_ready(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):  # up to ~20 s for the binary to listen
            if process.returncode is not None:
                raise AssertionError(f"alertmanager exited with {process.returncode}")
            try:
                async with http.get(f"{url}/-/ready") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)  # polling a starting process: there is nothing to await
    raise AssertionError("alertmanager never became ready")


@asynccontextmanager
async def _alertmanager(tmp_path: Path, bot_url: str) -> AsyncIterator[str]:
    config = tmp_path / "alertmanager.yml"
    config.write_text(_readme_receiver(bot_url, TOKEN))
    port = _free_port()
    assert BINARY is not None
    process = await asyncio.create_subprocess_exec(
        BINARY,
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _until_ready(url, process)
        yield url
    finally:
        process.terminate()
        await process.wait()


def _alert(instance: str, ends: datetime | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": "PaymentsDown", "severity": "critical", "instance": instance},
        "annotations": {"summary": "payments-api unreachable from lb-internal-2"},
        "startsAt": (now - timedelta(seconds=5)).isoformat(),
        "endsAt": (ends or now + timedelta(hours=1)).isoformat(),
        "generatorURL": "http://prometheus.internal:9090/graph",
    }


async def _fire(url: str, alerts: list[dict[str, Any]]) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/api/v2/alerts", json=alerts) as response,
    ):
        assert response.status == 200, await response.text()


async def test_the_real_alertmanager_opens_updates_and_resolves(
    alert_bot: BotFactory, tmp_path: Path
) -> None:
    bot = await alert_bot()
    async with _alertmanager(tmp_path, bot.url) as alertmanager:
        await _fire(alertmanager, [_alert("pay-1")])
        await bot.screen.wait_for(r"Opened by Alertmanager: 1 alert firing in PaymentsDown", 20)
        await bot.screen.wait_for(r"S1 · ack draft for INC-1", 20)
        (incident,) = await bot.incidents()
        assert incident.title == "payments-api unreachable from lb-internal-2"
        assert incident.severity == "sev1"

        await _fire(alertmanager, [_alert("pay-1"), _alert("pay-2")])
        await bot.screen.wait_for(r"1 more alert firing in this group \(PaymentsDown\)", 20)

        past = datetime.now(UTC) - timedelta(seconds=1)
        await _fire(alertmanager, [_alert("pay-1", past), _alert("pay-2", past)])
        await bot.screen.wait_for(r"Every alert in PaymentsDown has resolved", 20)
        await bot.screen.wait_for(r"S2 · update draft for INC-1", 20)

    assert len(await bot.incidents()) == 1  # re-sends and retries opened nothing more
    (group,) = await bot.groups()
    assert group.resolved_at is not None
    ack, monitoring = await bot.statements()
    assert "payments" not in (ack.body + monitoring.body).lower()
    assert bot.channel_texts("public") == []
