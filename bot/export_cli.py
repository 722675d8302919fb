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
    be found (unknown, or ambiguous without --workspace) or the file cannot be written."""
    store = Store(settings.database_url)
    try:
        await prepare_database(store)
        document = await export(store, args.incident, args.workspace, SystemClock().now())
    except ExportError as error:
        print(f"candor: {error}", file=sys.stderr)
        return 1
    finally:
        await store.dispose()
    try:
        await asyncio.to_thread(_write, document, args.format, args.output)
    except OSError as error:  # a missing directory, no permission, a full disk: one line
        where = error.filename or args.output
        print(f"candor: cannot write {where}: {_why(error)}", file=sys.stderr)
        return 1
    return 0


def _why(error: OSError) -> str:
    """The reason and the fix, without Python's ``[Errno 2]``."""
    reason = error.strerror or str(error)
    if isinstance(error, FileNotFoundError):
        return f"{reason.lower()} (create the directory first, or choose another -o)"
    if isinstance(error, PermissionError):
        return f"{reason.lower()} (choose a file you may write with -o)"
    return reason.lower()
