"""The ``candor export`` command: find the incident, write the document (and, for
Markdown written to a file, the chart beside it)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import sys
from pathlib import Path

from bot.app import prepare_database
from bot.export import ExportError, IncidentExport, export, to_json
from bot.export_md import render
from bot.hub import chart
from bot.settings import Settings
from commands import SystemClock
from storage import Store


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "export",
        help="an incident's whole record (with its communication record) as Markdown or JSON",
    )
    command.add_argument("incident", help="the incident, e.g. INC-42")
    command.add_argument("--format", choices=["md", "json"], default="md", help="default: md")
    command.add_argument(
        "--workspace",
        help="which workspace's INC-42 when several have one: its id (T0123) or "
        "platform:id (slack:T0123)",
    )
    command.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write to this file instead of standard output (Markdown: the chart is "
        "written beside it, same name ending .svg)",
    )


def _markdown(document_svg: str, output: Path | None) -> str:
    """Where the Markdown finds its chart: a file beside it, else inline as a data URI."""
    if output is None:
        encoded = base64.b64encode(document_svg.encode("utf-8")).decode("ascii")
        return f"data:image/svg+xml;base64,{encoded}"
    picture = (
        output.with_suffix(".svg")
        if output.suffix != ".svg"
        else output.with_name(output.stem + "-chart.svg")
    )
    picture.write_text(document_svg, encoding="utf-8")
    return picture.name


def _write(document: IncidentExport, format_: str, output: Path | None) -> None:
    if format_ == "json":
        text = to_json(document)
    else:
        svg = chart.render(document.communication.public, document.incident.ref)
        text = render(document, _markdown(svg, output))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"Wrote {document.incident.ref} to {output}.", file=sys.stderr)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """0 when written; 1, with the reason on standard error, when the incident cannot
    be found (unknown, or ambiguous without --workspace)."""
    store = Store(settings.database_url)
    try:
        await prepare_database(store)
        document = await export(store, args.incident, args.workspace, SystemClock().now())
    except ExportError as error:
        print(f"candor: {error}", file=sys.stderr)
        return 1
    finally:
        await store.dispose()
    await asyncio.to_thread(_write, document, args.format, args.output)
    return 0
