"""What the core tells the runtime about its own timing (bot/metrics.py turns it into
Prometheus histograms). The core measures nothing itself and imports no metrics library:
it reports facts it alone knows, such as how late a reminder was taken up."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol


class Telemetry(Protocol):
    def reminder_fired(self, kind: str, lag: timedelta) -> None:
        """A due reminder rung (``update``, ``task``, ``eta``) was taken up ``lag`` after
        its time: how late the alarm clock was, whatever the rung then said."""
        ...


class NullTelemetry:
    """Reports go nowhere (tests and tools that build a Desk without a runtime)."""

    def reminder_fired(self, kind: str, lag: timedelta) -> None:
        return None
