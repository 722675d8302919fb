"""What the console shows, collected; tests wait for a line (bounded, never sleeping)."""

from __future__ import annotations

import asyncio
import re


class Screen:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self._changed = asyncio.Event()

    def write(self, text: str) -> None:
        self.lines.append(text)
        self._changed.set()

    def count(self, pattern: str) -> int:
        return sum(1 for line in self.lines if re.search(pattern, line))

    async def wait_for(self, pattern: str, limit: float = 10.0, *, seen: int = 0) -> None:
        """Until more than ``seen`` lines match ``pattern``."""

        async def until() -> None:
            while self.count(pattern) <= seen:
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(until(), limit)
        except TimeoutError:
            shown = "\n".join(self.lines)
            raise AssertionError(f"never shown: {pattern!r}; the console shows:\n{shown}") from None
