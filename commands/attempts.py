"""One attempt at one destination, and what it came to.

A destination raises ``DeliveryFailed`` when it cannot take a statement; any other
exception is a bug in it, and must not stop the outbox serving the others.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from commands.ports import DeliveryFailed
from commands.secrets import redact_urls

log = logging.getLogger("candor.outbox")


@dataclass(frozen=True)
class Outcome:
    """An external id, or an error (retryable or not), or — for a correction that was
    posted but whose original could not be marked corrected — both."""

    external_id: str | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: timedelta | None = None
    amended: bool = False  # a correction: the original's message now says it was corrected


async def guarded(what: str, call: Callable[[], Awaitable[str | None]]) -> Outcome:
    """Run one call to a destination; its failure, or its crash, becomes an Outcome.

    ``what`` may name the destination by its key, and a failure may quote a URL: both
    lose their credentials here, before a log line or the stored ``last_error`` (shown
    by status, ``candor deliveries``, exports) carries them."""
    try:
        return Outcome(external_id=await call())
    except DeliveryFailed as failure:
        return Outcome(
            error=redact_urls(failure.reason),
            retryable=failure.retryable,
            retry_after=failure.retry_after,
        )
    except Exception as crash:  # a destination bug must not stop the others
        log.exception("%s crashed", redact_urls(what))
        return Outcome(error=f"unexpected error ({type(crash).__name__})", retryable=True)
