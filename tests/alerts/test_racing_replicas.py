"""Two intakes (as two replicas would have, each with its own queue) take notifications
of one new group at the same moment: one incident is opened, never two."""

from __future__ import annotations

import asyncio

from commands import AlertIntake, AlertMapping, ChannelRef
from commands.alerts.notification import Alert, Notification
from tests.alerts.conftest import BotFactory


def _note(instances: int) -> Notification:
    alerts = tuple(
        Alert(f"fp-{n}", "firing", "DiskFull", f"disk full on db-{n}") for n in range(instances)
    )
    return Notification("alertmanager", "{}:{alertname=DiskFull}", "firing", alerts)


async def test_racing_notifications_of_a_new_group_open_one_incident(
    alert_bot: BotFactory,
) -> None:
    bot = await alert_bot()
    desk = bot.runtime.desk
    place = ChannelRef("console", "local", "incidents")
    first, second = AlertIntake(desk, AlertMapping(), 10), AlertIntake(desk, AlertMapping(), 10)
    receipts = await asyncio.gather(first.receive(_note(1), place), second.receive(_note(2), place))
    assert sorted(r.outcome for r in receipts) == ["opened", "updated"]
    assert {r.incident for r in receipts} == {"INC-1"}
    assert len(await bot.incidents()) == 1
    (group,) = await bot.groups()
    assert group.notifications == 2
