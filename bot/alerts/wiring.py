"""Mounts the alert routes on the one HTTP server when ``ALERTS_TOKEN`` is set."""

from __future__ import annotations

from aiohttp import web

from bot.adapters import Adapter
from bot.alerts.placement import Placement
from bot.alerts.routes import AlertRoutes
from bot.metrics import Metrics
from bot.settings import Settings
from commands import AlertIntake, AlertMapping, Desk


def register_alerts(
    app: web.Application,
    desk: Desk,
    mapping: AlertMapping,
    adapters: list[Adapter],
    feeds: dict[str, str],
    settings: Settings,
    metrics: Metrics,
) -> AlertIntake | None:
    """The intake, or None (routes unmounted: they answer 404) without a token."""
    if settings.alerts_token is None:
        return None
    intake = AlertIntake(desk, mapping, settings.alerts_max_incidents_per_hour)
    placement = Placement(adapters, feeds, settings)
    routes = AlertRoutes(
        intake, mapping, placement, settings.alerts_token, metrics.alert_notifications
    )
    routes.register(app)
    return intake
