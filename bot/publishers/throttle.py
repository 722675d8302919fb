"""Limits on confirmation mails: per client, per mailbox, and for everyone.

Sliding windows kept in this process's memory (no library: they must follow the
desk's clock, which tests move by hand). What that means with replicas: each
replica counts on its own, so behind a load balancer spreading one client over N
replicas that client may get up to N times each limit, and the global cap is per
replica (set it to the total you want divided by the replicas). A restart forgets
the windows. The one throttle that holds across replicas and restarts is the
database's: one confirmation mail per exact address per few minutes
(bot/publishers/subscriptions.py).
"""

from __future__ import annotations

import ipaddress
import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from commands import Clock

MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
MAX_KEYS = 20_000  # memory bound per window: forget the stalest keys past this many
# Providers where dots in the local part do not matter ("a.b@gmail.com" is "ab@gmail.com").
DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox_key(email_key: str) -> str:
    """The mailbox an address reaches: ``a+tag@x`` → ``a@x`` (sub-addressing, which most
    providers offer), and without dots at gmail-like providers."""
    local, _, domain = email_key.lower().rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in DOTLESS:
        domain = DOTLESS[domain]
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def client_key(address: str | None) -> str:
    """Who is asking: an IPv4 address, or an IPv6 /64 (one host usually holds a whole
    /64, so counting single IPv6 addresses would be no limit at all)."""
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass
class SlidingWindow:
    """At most ``limit`` hits per key in any ``period``: a log of the allowed hits'
    times per key (at most ``limit`` of them), so refusals cost nothing to keep."""

    limit: int
    period: timedelta
    hits: dict[str, deque[datetime]] = field(default_factory=dict)

    def wait(self, key: str, now: datetime) -> timedelta:
        """How long until ``key`` may have one more hit (zero: now)."""
        log = self.hits.get(key)
        if log is None:
            return timedelta(0)
        while log and log[0] <= now - self.period:
            log.popleft()
        if len(log) < self.limit:
            return timedelta(0)
        return log[0] + self.period - now

    def take(self, key: str, now: datetime) -> None:
        log = self.hits.pop(key, None) or deque()
        log.append(now)
        self.hits[key] = log  # re-inserted: the dict's order is oldest activity first
        if len(self.hits) > MAX_KEYS:
            self._forget(now)

    def give_back(self, key: str, at: datetime) -> None:
        log = self.hits.get(key)
        if log is not None and at in log:
            log.remove(at)

    def _forget(self, now: datetime) -> None:
        for key in [k for k, log in self.hits.items() if not log or log[-1] <= now - self.period]:
            del self.hits[key]
        while len(self.hits) > MAX_KEYS * 9 // 10:  # still full: the stalest go
            del self.hits[next(iter(self.hits))]


class TooManyRequests(Exception):
    """Refused for now. ``who`` is "client", "mailbox" or "everyone"."""

    def __init__(self, who: str, retry_after: timedelta) -> None:
        super().__init__(f"too many confirmation requests ({who})")
        self.who = who
        self.retry_after = retry_after

    @property
    def seconds(self) -> int:
        """For Retry-After: whole seconds, at least one."""
        return max(1, math.ceil(self.retry_after.total_seconds()))


@dataclass(frozen=True)
class SubscribeLimits:
    per_client_per_minute: int = 5
    per_mailbox_per_hour: int = 3
    per_minute: int = 60  # every client together


@dataclass(frozen=True)
class MailTicket:
    """Room taken for one confirmation mail; given back if no mail goes."""

    mailbox: str
    at: datetime


class SubscribeThrottle:
    def __init__(self, limits: SubscribeLimits, clock: Clock) -> None:
        self.clock = clock
        self.clients = SlidingWindow(limits.per_client_per_minute, MINUTE)
        self.mailboxes = SlidingWindow(limits.per_mailbox_per_hour, HOUR)
        self.everyone = SlidingWindow(limits.per_minute, MINUTE)

    def request(self, client: str | None) -> None:
        """Count one subscribe request from ``client``, or refuse it."""
        now, key = self.clock.now(), client_key(client)
        wait = self.clients.wait(key, now)
        if wait > timedelta(0):
            raise TooManyRequests("client", wait)
        self.clients.take(key, now)

    def mail(self, email_key: str) -> MailTicket:
        """Take room for one confirmation mail to this address's mailbox, or refuse.
        Nothing awaits between the checks and the taking: no request slips between."""
        now, mailbox = self.clock.now(), mailbox_key(email_key)
        for who, window, key in (
            ("everyone", self.everyone, ""),
            ("mailbox", self.mailboxes, mailbox),
        ):
            wait = window.wait(key, now)
            if wait > timedelta(0):
                raise TooManyRequests(who, wait)
        self.everyone.take("", now)
        self.mailboxes.take(mailbox, now)
        return MailTicket(mailbox, now)

    def give_back(self, ticket: MailTicket) -> None:
        """No mail went (one went moments ago, or the server refused): it does not count."""
        self.everyone.give_back("", ticket.at)
        self.mailboxes.give_back(ticket.mailbox, ticket.at)
