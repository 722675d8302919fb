"""``candor``: run the bot, the console, or database migrations."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from pydantic import ValidationError

from bot.app import StartupError, start
from bot.console.repl import ConsoleRepl, stdin_reader
from bot.settings import Settings
from commands.clock import ShiftedClock
from commands.policy import PolicyError
from storage import Store


def _write(text: str) -> None:
    print(text, flush=True)


async def _console(settings: Settings, serve_http: bool) -> None:
    clock = ShiftedClock()
    runtime = await start(settings, console_write=_write, clock=clock, serve_http=serve_http)
    try:
        assert runtime.console is not None
        repl = ConsoleRepl(runtime.desk, runtime.console, clock, _write)
        await repl.run(await stdin_reader(), echo=not sys.stdin.isatty())
    finally:
        await runtime.stop()


async def _run(settings: Settings) -> None:
    if not (settings.has_slack or settings.has_discord):
        logging.getLogger("candor").info(
            "No SLACK_BOT_TOKEN or DISCORD_BOT_TOKEN: starting the local console"
        )
        await _console(settings, serve_http=True)
        return
    if settings.has_discord:
        raise StartupError(
            "The Discord adapter is not part of this build yet; unset DISCORD_BOT_TOKEN."
        )
    runtime = await start(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runtime.stop()


async def _db_upgrade(settings: Settings) -> None:
    store = Store(settings.database_url)
    try:
        await store.migrate()
    finally:
        await store.dispose()
    print("Database schema is up to date.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="candor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (the console when no platform token is set)")
    sub.add_parser("console", help="the local console on the same grammar")
    db = sub.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade"])
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except (ValidationError, PolicyError) as error:
        print(f"candor: configuration error:\n{error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("apscheduler", "alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    runners = {
        "run": lambda: _run(settings),
        "console": lambda: _console(settings, serve_http=False),
        "db": lambda: _db_upgrade(settings),
    }
    try:
        asyncio.run(runners[args.command]())
    except StartupError as error:
        print(f"candor: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
