"""The one Jinja2 environment for every hub page (status pages and subscription pages)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from commands import printable


def _shown(value: Any) -> Any:
    """Every ``{{ … }}`` of a page: stored text loses control and bidi characters (our
    own markup, already ``Markup``, is left alone)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return printable(value)
    return value


def hub_environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.hub", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_shown,
    )
