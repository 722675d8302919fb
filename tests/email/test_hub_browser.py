"""A reader in a real browser: headless Debian Chromium (driven by Playwright) opens
the status hub, finds the incident, reads the published statement and subscribes by
email; the confirmation mail arrives. A screenshot is kept in test-artifacts/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.email.conftest import BotStarter
from tests.email.mailbox import Mailbox

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
# The flags this machine's closed network needs (no background connections).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)"
)


async def test_a_reader_sees_the_statement_and_subscribes(
    start_bot: BotStarter, mailbox: Mailbox
) -> None:
    bot = await start_bot()
    await bot.open_incident()
    ARTIFACTS.mkdir(exist_ok=True)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            await page.goto(f"{bot.base}/status")
            await page.get_by_role("link", name="Checkout down").click()
            main = page.get_by_role("main")
            await main.get_by_text("We are aware of an issue affecting Checkout down").wait_for()
            assert await page.locator("html").get_attribute("lang") == "en"
            await page.screenshot(path=str(ARTIFACTS / "hub-incident.png"), full_page=True)

            await page.get_by_role("textbox", name="Email address").fill("reader@example.org")
            await page.get_by_role("button", name="Subscribe").click()
            await page.get_by_role("heading", name="Check your inbox").wait_for()
            await page.screenshot(path=str(ARTIFACTS / "hub-subscribed.png"))
        finally:
            await browser.close()

    mail = await mailbox.wait_for("reader@example.org", "Confirm")
    assert "/status/confirm" in mail.text
