"""This process among the replicas of one database.

PostgreSQL: any number of ``candor run`` processes share the database; one leads and
runs the timers (``leadership``), followers forward their wake-ups to it (``wakeups``).
SQLite: one process only, enforced by an OS file lock (``process_lock``).
"""

from __future__ import annotations

from bot.replicas.leadership import Leadership, PostgresLeadership, SoleLeadership
from bot.replicas.process_lock import AlreadyRunning
from bot.replicas.wiring import Replicas

__all__ = ["AlreadyRunning", "Leadership", "PostgresLeadership", "Replicas", "SoleLeadership"]
