"""Failures FakeSlack can be told to answer with: API errors, 429s with Retry-After,
5xx pages, and a per-channel chat.postMessage rate (Slack allows about 1/s/channel)."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass

from aiohttp import web

SERVER_ERROR_PAGE = "<html><body><h1>Slack is having trouble</h1></body></html>"


def api_error(error: str, status: int = 200, **headers: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status, headers=headers)


def rate_limited(retry_after: int) -> web.Response:
    return api_error("ratelimited", 429, **{"Retry-After": str(retry_after)})


@dataclass(frozen=True)
class Fault:
    error: str = ""
    status: int = 200
    retry_after: int = 0
    channel: str | None = None  # only calls naming this channel; None: any call
    processed: bool = False  # Slack did the work, then the answer was this failure

    def matches(self, channel: str) -> bool:
        return self.channel is None or self.channel == channel

    def response(self) -> web.Response:
        if self.status == 429:
            return rate_limited(self.retry_after)
        if self.status >= 500:
            # Slack's edge answers 5xx with an HTML page, not JSON: `error` is absent.
            return web.Response(
                status=self.status, text=SERVER_ERROR_PAGE, content_type="text/html"
            )
        return api_error(self.error)


class Faults:
    def __init__(self) -> None:
        self._queued: dict[str, deque[Fault]] = defaultdict(deque)
        self._per_channel_rate: float | None = None
        self._recent_posts: dict[str, deque[float]] = defaultdict(deque)
        self._flaky_every = 0
        self._flaky_cycle: tuple[Fault, ...] = ()
        self._flaky_processed_in: frozenset[str] = frozenset()
        self._calls = 0
        self.flaky_failures = 0

    def add(self, method: str, fault: Fault, times: int) -> None:
        self._queued[method].extend([fault] * times)

    def flaky(self, every: int, faults: tuple[Fault, ...], processed_in: frozenset[str]) -> None:
        """Every ``every``-th call from now on (any method) fails with the next of ``faults``
        in turn; ``every=0`` stops it. A chat.postMessage to a channel in ``processed_in``
        is posted first (only the answer fails, as when Slack's edge times out)."""
        self._flaky_every, self._flaky_cycle = every, faults
        self._flaky_processed_in, self._calls = processed_in, 0

    def take(self, method: str, channel: str = "") -> Fault | None:
        """The next injected failure for this call, consumed; None when there is none."""
        queue = self._queued[method]
        for fault in queue:
            if fault.matches(channel):
                queue.remove(fault)  # the first equal one: this one
                return fault
        return self._flaky(method, channel)

    def _flaky(self, method: str, channel: str) -> Fault | None:
        if not self._flaky_every or not self._flaky_cycle:
            return None
        self._calls += 1
        if self._calls % self._flaky_every:
            return None
        fault = self._flaky_cycle[self.flaky_failures % len(self._flaky_cycle)]
        self.flaky_failures += 1
        processed = method == "chat.postMessage" and channel in self._flaky_processed_in
        return Fault(fault.error, fault.status, fault.retry_after, processed=processed)

    def set_per_channel_rate(self, messages_per_second: float | None) -> None:
        self._per_channel_rate = messages_per_second
        self._recent_posts.clear()

    def throttle(self, channel: str) -> web.Response | None:
        """429 when this post would exceed the per-channel rate over the last second."""
        if self._per_channel_rate is None:
            return None
        now = time.monotonic()
        recent = self._recent_posts[channel]
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self._per_channel_rate:
            return rate_limited(1)
        recent.append(now)
        return None
