"""The Desk's work between commands: reminders and deliveries that fall due, the timer
that wakes for them, recovery after a restart, and the operator's outbox tools."""

from __future__ import annotations

import logging
from datetime import timedelta

from commands.context import Deps
from commands.errors import CommandError
from commands.failures import error_reply
from commands.ports import Reply
from commands.publishing import deliveries, outbox
from commands.publishing.couriers import Couriers
from commands.timing import firing

log = logging.getLogger("candor.desk")


class Upkeep:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.couriers = Couriers(lambda delivery_id: outbox.deliver(deps, delivery_id), self._sent)

    async def run_due(self) -> int:
        """Fire due reminders, hand due deliveries to their couriers, then re-arm the
        timer. Returns how much was dealt with (the timer runs again at once only after
        progress). Never waits for a destination: each courier re-arms as it goes."""
        handled = await firing.fire_due(self.deps)
        handled += await outbox.deliver_due(self.deps, self.couriers)
        await self.rearm()
        return handled

    async def settle(self) -> int:
        """``run_due``, then wait until every delivery handed out has been attempted."""
        handled = await self.run_due()
        await self.couriers.idle()
        return handled

    async def stop(self, grace: float = 0.0) -> None:
        """Stop delivering: attempts under way get ``grace`` seconds, then are cancelled
        (their leases lapse and whoever leads retries them); the queues stay pending."""
        await self.couriers.stop(grace)

    async def _sent(self, destination_key: str) -> None:
        """After each attempt: the first destination's turn frees the statement for the
        others; the attempt may have set a retry time."""
        if destination_key == outbox.first_destination(self.deps):
            await outbox.dispatch(self.deps, self.couriers)
        await self.rearm()

    async def rearm(self) -> None:
        held = self.couriers.held
        async with self.deps.store.reading() as uow:
            next_reminder, next_delivery, oldest_claim = await uow.timers.next_times()
            if next_delivery is not None and held:  # those the couriers hold are on their way
                next_delivery = await outbox.next_unheld(uow, held, self.deps.clock.now())
        times = [next_reminder, next_delivery]
        if oldest_claim is not None:  # wake when that lease runs out, in case its sender died
            times.append(oldest_claim + outbox.STALE_SENDING)
        upcoming = [t for t in times if t is not None]
        if upcoming:
            self.deps.timer.wake_at(min(upcoming))

    async def retry_delivery(self, delivery_id: int, by: str = "operator") -> Reply:
        """Queue a failed delivery again (``candor deliveries retry <id>``)."""
        try:
            message = await deliveries.retry(self.deps, delivery_id, by)
        except CommandError as error:
            return error_reply(error)
        await self.rearm()
        return Reply(message)

    async def list_deliveries(self, *, failed_only: bool = False) -> Reply:
        return Reply(await deliveries.listing(self.deps, failed_only=failed_only))

    async def start(self) -> None:
        """After a restart: deliveries a dead process left mid-send go back to the queue,
        and the timer is armed for whatever is due (overdue work fires at once). Couriers
        left from an earlier term (a replica elected again) are stopped first: what they
        held is in the database, and is handed out afresh."""
        await self.couriers.stop()
        now = self.deps.clock.now()
        async with self.deps.store.unit_of_work() as uow:
            released = await uow.deliveries.release_stale(now - outbox.STALE_SENDING)
            await uow.events.forget_before(now - timedelta(days=1))
        if released:
            log.info("re-queued %d deliveries left in flight by a previous run", released)
        await self.rearm()
