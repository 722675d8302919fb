"""A sender keeps its claim on a delivery alive while the destination works.

A claim (pending → sending) is a lease: a row left ``sending`` longer than
``LEASE`` belonged to a sender that died (a killed replica), and any timer takes it
back. The live sender renews its lease every ``RENEW_EVERY`` while the attempt runs,
so the lease can be short — a dead replica's deliveries are retried within seconds
of a failover — however slow a destination is (a large mailing list).

The renewal is fenced by the attempt number the claim gave: once someone else has
taken the row over, this sender's renewals stop matching.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

from commands.context import Deps

log = logging.getLogger("candor.outbox")

LEASE = timedelta(seconds=15)
RENEW_EVERY = timedelta(seconds=5)


@asynccontextmanager
async def kept(deps: Deps, delivery_id: int, attempt: int) -> AsyncIterator[None]:
    """Renew the lease on ``delivery_id`` (claimed as ``attempt``) until the block ends."""
    renewing = asyncio.create_task(_renew(deps, delivery_id, attempt))
    try:
        yield
    finally:
        renewing.cancel()
        with suppress(asyncio.CancelledError):
            await renewing


async def _renew(deps: Deps, delivery_id: int, attempt: int) -> None:
    while True:
        await asyncio.sleep(RENEW_EVERY.total_seconds())
        try:
            async with deps.store.unit_of_work() as uow:
                held = await uow.deliveries.renew(delivery_id, attempt, deps.clock.now())
        except Exception as error:  # the database is unreachable: the lease may lapse
            log.warning("could not renew the lease on delivery %s: %s", delivery_id, error)
            continue
        if not held:
            log.warning("delivery %s was taken over by another sender", delivery_id)
            return
