"""One attempt at one destination, and what it came to.

A destination raises ``DeliveryFailed`` when it cannot take a statement; any other
exception is a bug in it, and must not stop the outbox serving the others. Every
attempt has a deadline, the destination's own ``timeout`` (seconds; ``DEFAULT_TIMEOUT``
when it names none): a destination that never answers is given up on, and tried
again later like any passing failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from commands.ports import DeliveryFailed
from commands.secrets import redact_urls

log = logging.getLogger("candor.outbox")

DEFAULT_TIMEOUT = 60.0  # a chat post, the hub; webhooks say 15 s, email its own
DEFAULT_CONCURRENCY = 4  # attempts at once per destination (different incidents)


def attempt_timeout(destination: object) -> float:
    """How long one attempt at ``destination`` may take (its ``timeout`` attribute)."""
    limit = getattr(destination, "timeout", None)
    return float(limit) if isinstance(limit, int | float) and limit > 0 else DEFAULT_TIMEOUT


def concurrency(destination: object) -> int:
    """How many deliveries ``destination`` takes at once (its ``concurrency`` attribute)."""
    limit = getattr(destination, "concurrency", None)
    return limit if isinstance(limit, int) and limit > 0 else DEFAULT_CONCURRENCY


@dataclass(frozen=True)
class Outcome:
    """An external id, or an error (retryable or not), or — for a correction that was
    posted but whose original could not be marked corrected — both."""

    external_id: str | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: timedelta | None = None
    amended: bool = False  # a correction: the original's message now says it was corrected


async def guarded(
    what: str, call: Callable[[], Awaitable[str | None]], limit: float = DEFAULT_TIMEOUT
) -> Outcome:
    """Run one call to a destination, for at most ``limit`` seconds; its failure, its
    silence, or its crash becomes an Outcome.

    ``what`` may name the destination by its key, and a failure may quote a URL: both
    lose their credentials here, before a log line or the stored ``last_error`` (shown
    by status, ``candor deliveries``, exports) carries them."""
    deadline = asyncio.timeout(limit)
    try:
        async with deadline:
            return Outcome(external_id=await call())
    except TimeoutError as silence:
        if not deadline.expired():  # not our deadline: a bug in the destination
            return _crashed(what, silence)
        return Outcome(error=f"no answer within {limit:g} s", retryable=True)
    except DeliveryFailed as failure:
        return Outcome(
            error=redact_urls(failure.reason),
            retryable=failure.retryable,
            retry_after=failure.retry_after,
        )
    except Exception as crash:  # a destination bug must not stop the others
        return _crashed(what, crash)


def _crashed(what: str, crash: Exception) -> Outcome:
    log.error("%s crashed", redact_urls(what), exc_info=crash)
    return Outcome(error=f"unexpected error ({type(crash).__name__})", retryable=True)
