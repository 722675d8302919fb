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
from tests.fakes.clock import FakeClock

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


async def test_the_chart_is_readable_on_a_phone_and_no_labels_overlap(
    start_bot: BotStarter, clock: FakeClock
) -> None:
    """Updates a few seconds apart (S2, S3, S4) printed their labels over each other
    ("S¾"). At 390 px the chart keeps its text legible and every label box is apart."""
    bot = await start_bot()
    await bot.open_incident()
    clock.advance(hours=3)
    for ref in ("S2", "S3", "S4"):
        await bot.update("holding", ref)
        clock.advance(seconds=30)
    ARTIFACTS.mkdir(exist_ok=True)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(f"{bot.base}/status/incidents/1?tz=Europe/Paris")
            chart = page.locator("figure.chart svg")
            await chart.scroll_into_view_if_needed()
            await page.screenshot(path=str(ARTIFACTS / "hub-chart-phone.png"), full_page=True)
            # The chart scrolls sideways on a phone: show its end, where S2-S4 are.
            await page.locator("figure.chart .scroll").evaluate("n => n.scrollLeft = 10000")
            await page.locator("figure.chart .scroll").screenshot(
                path=str(ARTIFACTS / "hub-chart-phone-end.png")
            )
            boxes = await chart.locator("text").evaluate_all(
                "nodes => nodes.map(n => { const b = n.getBoundingClientRect();"
                " return [n.textContent, b.x, b.y, b.width, b.height]; })"
            )
            page_width = await page.evaluate("document.documentElement.scrollWidth")
            local = await page.locator(".local").first.text_content()
        finally:
            await browser.close()

    assert {"S1", "S2", "S3", "S4"} <= {box[0] for box in boxes}
    for name, _, _, _, height in boxes:
        assert height >= 9, f"{name!r} is {height:.1f} px tall: too small to read"
    for index, (a, ax, ay, aw, ah) in enumerate(boxes):
        for b, bx, by, bw, bh in boxes[index + 1 :]:
            apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
            assert apart, f"{a!r} overlaps {b!r}"
    assert page_width <= 390, "the page itself must not scroll sideways (only the chart)"
    assert local is not None and "Europe/Paris" in local
