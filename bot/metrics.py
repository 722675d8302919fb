"""Prometheus text exposition of what an on-call lead wants on a dashboard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from storage import OPEN_STATES, Delivery, Incident, Store


async def render_metrics(store: Store, now: datetime) -> str:
    async with store.reading() as uow:
        session = uow.session
        open_count = (
            await session.exec(
                select(func.count())
                .select_from(Incident)
                .where(col(Incident.state).in_(OPEN_STATES))
            )
        ).one()
        overdue = (
            await session.exec(
                select(func.count())
                .select_from(Incident)
                .where(col(Incident.state).in_(OPEN_STATES), col(Incident.next_update_due_at) < now)
            )
        ).one()
        by_state = (
            await session.exec(select(Delivery.state, func.count()).group_by(col(Delivery.state)))
        ).all()
    lines = [
        "# HELP candor_open_incidents Incidents not yet resolved.",
        "# TYPE candor_open_incidents gauge",
        f"candor_open_incidents {open_count}",
        "# HELP candor_overdue_public_updates Open incidents whose public update is overdue.",
        "# TYPE candor_overdue_public_updates gauge",
        f"candor_overdue_public_updates {overdue}",
        "# HELP candor_deliveries Statement deliveries by state.",
        "# TYPE candor_deliveries gauge",
    ]
    lines.extend(f'candor_deliveries{{state="{state}"}} {count}' for state, count in by_state)
    return "\n".join(lines) + "\n"
