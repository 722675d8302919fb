"""The hub is a destination that is always on and comes first; every other
publication links back to it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from sqlmodel import col, select

from bot.hub import HubDestination
from commands.ports import Publication
from storage import Delivery
from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import hub_bot


async def test_every_statement_goes_to_the_hub_first_and_chat_links_to_it(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await bot.open("alice", "Checkout down")
        await bot.publish("S1")
        async with bot.runtime.store.unit_of_work() as uow:
            query = select(Delivery).order_by(col(Delivery.id))
            deliveries = list((await uow.session.exec(query)).all())
        assert [d.destination for d in deliveries] == ["hub", "console:public"]
        assert all(d.state == "sent" for d in deliveries)
        hub_url = f"{bot.base_url}/status/incidents/1"
        assert deliveries[0].external_id == hub_url

        screen = "\n".join(bot.screen.lines)
        assert "S1 is public — sent to status page, #public (console)." in screen
        public = next(line for line in bot.screen.lines if line.startswith("[#public]"))
        [link] = re.findall(r"Status page: (\S+)", public)
        assert link == hub_url
        page = await bot.get(link.removeprefix(bot.base_url))  # the link works
        assert page.status == 200 and "We are aware of an issue" in page.text


async def test_delivering_to_the_hub_returns_the_incident_page() -> None:
    publication = Publication(
        delivery_id=1,
        incident_id=42,
        incident_ref="INC-3",
        incident_title="Checkout down",
        severity="sev2",
        state="investigating",
        statement_ref="S1",
        kind="ack",
        body="We are aware.",
        signer=None,
        published_at=datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
    )
    hub = HubDestination()
    assert (hub.key, hub.label) == ("hub", "status page")
    assert await hub.deliver(publication) == "/status/incidents/42"
    linked = replace(publication, hub_url="https://s.example/status/incidents/42")
    assert await hub.deliver(linked) == "https://s.example/status/incidents/42"
