"""The one Jinja2 environment for every hub page (status pages and subscription pages)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


def hub_environment() -> Environment:
    return Environment(
        loader=PackageLoader("bot.hub", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
