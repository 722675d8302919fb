"""``candor``: run the bot, the console, database migrations, outbox tools, or export an
incident's record."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import ValidationError

from bot import export_cli
from bot.app import Runtime, prepare_database, start
from bot.console.repl import ConsoleRepl, stdin_reader
from bot.logs import configure_logging
from bot.pauses import freeze_startup
from bot.replicas.wakeups import wake_leader
from bot.settings import Settings
from bot.startup import StartupError, reaching_database
from commands import Deps, Desk, NullTimer, PolicyError, ShiftedClock, SystemClock
from storage import Store


def _write(text: str) -> None:
    print(text, flush=True)


def _settled_in(runtime: Runtime) -> None:
    """Start-up is over: freeze what it built out of the collector's sight (bot/pauses.py)
    and watch for pauses from now on. Only here, in the process's own entry point: a
    test process starts hundreds of runtimes, and frozen objects are never freed."""
    frozen = freeze_startup()
    runtime.metrics.pauses.start()
    logging.getLogger("candor").debug("froze %d start-up objects", frozen)


async def _console(settings: Settings, serve_http: bool) -> None:
    clock = ShiftedClock()
    runtime = await start(settings, console_write=_write, clock=clock, serve_http=serve_http)
    _settled_in(runtime)
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
    runtime = await start(settings)
    _settled_in(runtime)
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
        async with reaching_database(store):
            await store.migrate()
    finally:
        await store.dispose()
    print("Database schema is up to date.")


def _operator() -> str:
    try:
        return f"{getpass.getuser()} (CLI)"
    except (KeyError, OSError):
        return "an operator (CLI)"


async def _deliveries(settings: Settings, args: argparse.Namespace) -> int:
    """The outbox tools work on the database alone: a running bot picks up a retry."""
    store = Store(settings.database_url)
    try:
        await prepare_database(store)
        desk = Desk(Deps(store=store, clock=SystemClock(), platforms={}, timer=NullTimer()))
        if args.action == "retry":
            reply = await desk.retry_delivery(args.id, by=_operator())
            if not reply.is_error:  # replicas on PostgreSQL: the leader sends it at once
                await wake_leader(store)
        else:
            reply = await desk.list_deliveries(failed_only=args.failed)
    finally:
        await store.dispose()
    print(reply.plain, file=sys.stderr if reply.is_error else sys.stdout)
    return 1 if reply.is_error else 0


def _deliveries_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deliveries = sub.add_parser("deliveries", help="the outbox: list, retry a failed delivery")
    actions = deliveries.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the latest deliveries, newest first")
    listing.add_argument("--failed", action="store_true", help="only the failed ones")
    retry = actions.add_parser("retry", help="queue a failed delivery again")
    retry.add_argument("id", type=int, help="the delivery id (from `candor deliveries list`)")


def _setting_errors(error: ValidationError) -> list[str]:
    """One line per setting that cannot work, named as in the environment. Not pydantic's
    own text: it repeats the value given, and a DATABASE_URL carries a password."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        name = "_".join(str(part) for part in problem["loc"]).upper()
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(message if message.startswith(name) else f"{name}: {message}")
    return lines


def _candor_or_warning(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or record.name.split(".")[0] == "candor"


def _quiet_libraries(level: str) -> None:
    """LOG_LEVEL is for Candor's own loggers; libraries stay at WARNING (or quieter) at
    any level. At DEBUG they log what is secret: aiosqlite and asyncpg every statement
    with its values (the generated subscription key, destination URLs with their tokens),
    aiohttp and slack_sdk whole requests."""
    root = logging.getLogger()
    root.setLevel(max(root.level, logging.WARNING))
    logging.getLogger("candor").setLevel(level.upper())
    for handler in root.handlers:  # also when a library sets its own logger's level
        handler.addFilter(_candor_or_warning)
    for noisy in ("apscheduler", "alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="candor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (the console when no platform token is set)")
    sub.add_parser("console", help="the local console on the same grammar")
    db = sub.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade"])
    _deliveries_parser(sub)
    export_cli.add_parser(sub)
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        for line in _setting_errors(error):
            print(f"candor: {line}", file=sys.stderr)
        return 2
    except PolicyError as error:
        print(f"candor: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)  # one line per record
    _quiet_libraries(settings.log_level)
    runners: dict[str, Callable[[], Coroutine[Any, Any, int | None]]] = {
        "run": lambda: _run(settings),
        "console": lambda: _console(settings, serve_http=False),
        "db": lambda: _db_upgrade(settings),
        "deliveries": lambda: _deliveries(settings, args),
        "export": lambda: export_cli.run(settings, args),
    }
    try:
        code = asyncio.run(runners[args.command]())
    except StartupError as error:
        print(f"candor: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
