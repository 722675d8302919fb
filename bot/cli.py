"""candor: run the bot, the console, database migrations, outbox tools, or export an
incident's record.

Only the parser lives here, on the standard library: ``candor --help`` must answer at
once, and Slack, Discord, SQLAlchemy and the rest take seconds to import. What each
subcommand does is in ``bot.cli_runs``, imported once a subcommand is chosen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

CONSOLE_HELP = """\
The local console: the same /incident grammar as on Slack, typed in a terminal, on
DATABASE_URL. In a terminal: arrow keys edit, Up recalls earlier lines (kept across runs),
Tab completes verbs, INC- and S-numbers, Esc Enter (or a line ending in \\) starts a new
line, Enter sends. Piped input is read line by line."""

REHEARSE_HELP = """\
rehearse on a scratch copy of the database (a SQLite file, also when DATABASE_URL is
PostgreSQL), removed when you leave: :skip moves that copy's clock and the real database
is never changed. Without this flag the first :skip switches to rehearsal."""

EXPORT_OUTPUT_HELP = (
    "write to this file instead of standard output (Markdown: the chart is written beside "
    "it, same name ending .svg)"
)


def _deliveries_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deliveries = sub.add_parser(
        "deliveries",
        help="the outbox: list, retry a failed delivery",
        description="The outbox of public deliveries: list them, queue a failed one again.",
    )
    actions = deliveries.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the latest deliveries, newest first")
    listing.add_argument("--failed", action="store_true", help="only the failed ones")
    retry = actions.add_parser("retry", help="queue a failed delivery again")
    retry.add_argument("id", type=int, help="the delivery id (from `candor deliveries list`)")


def _export_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "export",
        help="an incident's whole record (with its communication record) as Markdown or JSON",
        description="Write an incident's whole record: roles, tasks, statements with their "
        "revisions, votes and deliveries, the timeline and the communication record.",
    )
    command.add_argument("incident", help="the incident, e.g. INC-42")
    command.add_argument("--format", choices=["md", "json"], default="md", help="default: md")
    command.add_argument(
        "--workspace",
        help="which workspace's INC-42 when several have one: its id (T0123) or "
        "platform:id (slack:T0123)",
    )
    command.add_argument("-o", "--output", type=Path, help=EXPORT_OUTPUT_HELP)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="candor", description=__doc__.split("\n\n")[0])
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "run",
        help="run the bot (the console when no platform token is set)",
        description="Run the bot: Slack and/or Discord when their tokens are set (else the "
        "local console), the public status hub and /healthz on HTTP_HOST:HTTP_PORT, "
        "/metrics on ADMIN_HTTP_HOST:ADMIN_HTTP_PORT. Settings come from the environment "
        "or .env (see README).",
    )
    console = sub.add_parser(
        "console", help="the local console on the same grammar", description=CONSOLE_HELP
    )
    console.add_argument("--rehearse", action="store_true", help=REHEARSE_HELP)
    db = sub.add_parser(
        "db",
        help="database tasks",
        description="Bring DATABASE_URL's schema up to date (PostgreSQL needs this before "
        "`candor run`; SQLite is migrated at start).",
    )
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply every migration")
    _deliveries_parser(sub)
    _export_parser(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from bot import cli_runs  # the heavy part, only once a subcommand is chosen

    return cli_runs.main(args)


if __name__ == "__main__":
    sys.exit(main())
