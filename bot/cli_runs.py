"""What each ``candor`` subcommand does (the parser, light, is ``bot.cli``)."""

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
from bot.console.session import ConsoleSession
from bot.logs import configure_logging
from bot.pauses import freeze_startup
from bot.replicas.wakeups import wake_leader
from bot.settings import Settings
from bot.startup import StartupError, reaching_database
from commands import Deps, Desk, NullTimer, PolicyError, SystemClock
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


async def _console(settings: Settings, serve_http: bool, rehearse: bool = False) -> None:
    session = ConsoleSession(settings, _write, serve_http=serve_http, on_start=_settled_in)
    await session.start(rehearse=rehearse)
    try:
        repl = ConsoleRepl(session, _write)
        if sys.stdin.isatty() and sys.stdout.isatty():
            from bot.console.terminal import run_terminal  # prompt_toolkit: terminals only

            await run_terminal(repl, session.files.history)
        else:  # a pipe, a file, CI: line by line, as typed
            await repl.run(await stdin_reader(), echo=not sys.stdin.isatty())
    finally:
        await session.stop()


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


def main(args: argparse.Namespace) -> int:
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
        "console": lambda: _console(settings, serve_http=False, rehearse=args.rehearse),
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
