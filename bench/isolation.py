"""isolation: does a slow mail server hold up an unrelated Slack post?

    .venv/bin/python -m bench.isolation [--subscribers 100] [--delay 3] [--posts 5]
                                        [--db sqlite|postgres]

One run, two bots (`candor run`, each in its own process, each on a fresh database):

1. **no mail**: ``PUBLIC_DESTINATIONS=slack:CPUB``. ``--posts`` incidents are opened and
   their S1 approved one after another; each is timed from the ✅ to its post in CPUB.
2. **slow mail**: ``slack:CPUB,email:subscribers,webhook:…`` with ``--subscribers``
   confirmed subscribers, a mail server (aiosmtpd, in this process) that takes
   ``--delay`` seconds over every message, and a webhook receiver that never answers.
   A first incident's S1 is approved and its mail starts going out; while it does,
   the same ``--posts`` incidents are timed as in 1.

Prints the medians and their ratio (target ≤ 1.2×), and how far the mail got. Never
passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller

from bench.common import Server, database, free_port, slack_bot_env
from bench.fanout import GENERAL, _open, _post
from storage import Store, Subscriber
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_payloads import event_body, reaction_event
from tests.fakes.webhooks import SECRET as WEBHOOK_SECRET
from tests.fakes.webhooks import Answer, Receivers, running_receivers

PUBLIC = "CPUB"
EMAIL_FROM = "Bench Status <status@bench.example>"
PACE = 1.1  # posts to one Slack channel are paced 1.05 s apart (Slack's limit)


class SlowMail:
    """An SMTP server that takes ``delay`` seconds over each message (at DATA)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received = 0
        self.in_data = 0
        self.most_in_data = 0
        self._lock = threading.Lock()
        self.loop = asyncio.get_running_loop()
        self.started = asyncio.Event()  # the first mail is at the server
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.in_data += 1
            self.most_in_data = max(self.most_in_data, self.in_data)
        self.loop.call_soon_threadsafe(self.started.set)
        try:
            await asyncio.sleep(self.delay)  # the slow server (its time, not the bench's)
        finally:
            with self._lock:
                self.in_data -= 1
                self.received += 1
        return "250 2.0.0 accepted"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}"


async def _subscribe(db_url: str, count: int) -> None:
    store = Store(db_url)
    now = datetime.now(UTC)
    async with store.unit_of_work() as uow:
        for n in range(count):
            address = f"reader{n:04}@bench.example"
            uow.session.add(
                Subscriber(email=address, email_key=address, created_at=now, confirmed_at=now)
            )
    await store.dispose()


async def _timed_posts(fake: FakeSlack, url: str, first: int, posts: int) -> list[float]:
    """Open and approve incidents ``first``…, one after another: ✅ → post in CPUB."""
    took: list[float] = []
    for number in range(first, first + posts):
        channel, ts = await _open(fake, url, number)
        await asyncio.sleep(PACE)  # the last post's channel pacing is not this one's time
        before = len(fake.messages(PUBLIC))
        began = time.perf_counter()
        body = event_body(reaction_event("UALICE", channel, ts, "white_check_mark"))
        await _post(f"{url}/slack/events", body)

        def posted(before: int = before) -> bool:
            return len(fake.messages(PUBLIC)) > before

        await fake.wait_for(posted)
        took.append(time.perf_counter() - began)
    return took


async def _run_bot(
    fake: FakeSlack, db: str, destinations: list[str], extra: dict[str, str], posts: int,
    *, before: int = 0, mail: SlowMail | None = None, subscribers: int = 0,
) -> list[float]:  # fmt: skip
    async with database(db) as db_url:
        if subscribers:
            await _subscribe(db_url, subscribers)
        port = free_port()
        env = slack_bot_env(
            fake.base_url,
            db_url,
            port,
            PUBLIC_DESTINATIONS=",".join(destinations),
            LOG_LEVEL="WARNING",
            **extra,
        )
        server = await Server.spawn("-m", "bot.cli", "run", env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            await server.wait_http(f"{url}/healthz")
            if before:  # the statement whose mail is under way while the others are timed
                await _timed_posts(fake, url, 1, before)
                assert mail is not None
                await asyncio.wait_for(mail.started.wait(), 60)
            return await _timed_posts(fake, url, before + 1, posts)
        finally:
            await server.stop()


def _fresh_slack(fake: FakeSlack) -> None:
    fake.add_channel(GENERAL, "general", members=("UALICE",))
    fake.add_channel(PUBLIC, "status")


async def main(subscribers: int, delay: float, posts: int, db: str) -> None:
    mail = SlowMail(delay)
    mail.controller.start()
    receivers: Receivers
    try:
        async with FakeSlack(chat_write_public=True, timeout=300.0) as fake:
            _fresh_slack(fake)
            alone = await _run_bot(fake, db, [f"slack:{PUBLIC}"], {}, posts)
        async with (
            FakeSlack(chat_write_public=True, timeout=300.0) as fake,
            running_receivers() as receivers,
        ):
            _fresh_slack(fake)
            receivers.script("/silent", *[Answer(200, hold=asyncio.Event()) for _ in range(99)])
            destinations = [
                f"slack:{PUBLIC}", "email:subscribers", f"webhook:{receivers.url('/silent')}"
            ]  # fmt: skip
            extra = {
                "SMTP_URL": mail.url,
                "EMAIL_FROM": EMAIL_FROM,
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
            }
            began = time.perf_counter()
            beside = await _run_bot(
                fake, db, destinations, extra, posts, before=1, mail=mail, subscribers=subscribers
            )
            elapsed = time.perf_counter() - began
    finally:
        mail.controller.stop()
    _report(alone, beside, mail, subscribers, elapsed, db)


def _report(
    alone: list[float], beside: list[float], mail: SlowMail, subscribers: int, elapsed: float,
    db: str,
) -> None:  # fmt: skip
    plain, slowed = statistics.median(alone), statistics.median(beside)
    print(f"isolation: Slack post ✅ → CPUB, {len(alone)} incidents each way ({db})")
    print(f"  no mail configured:       median {plain:.3f} s  (max {max(alone):.3f} s)")
    print(
        f"  beside slow mail+webhook: median {slowed:.3f} s  (max {max(beside):.3f} s)  "
        f"= {slowed / plain:.2f}x  (target ≤ 1.2x)"
    )
    print(
        f"  mail server: {mail.delay:g} s a message, {subscribers} subscribers; "
        f"{mail.received} mails taken in {elapsed:.1f} s, at most {mail.most_in_data} at once"
    )


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.isolation", description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--delay", type=float, default=3.0, help="seconds the server takes a mail")
    parser.add_argument("--posts", type=int, default=5, help="incidents timed each way")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.delay, args.posts, args.db))


if __name__ == "__main__":
    cli()
