"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every mail it accepts.

It runs in its own thread (aiosmtpd's ``Controller``); arrivals are handed to the
test's event loop, so tests wait for mail without sleeping. Faults are scripted
per address: refuse RCPT with a given reply a number of times, or hold a mail at
DATA until the test lets go (the moment to kill a sender mid-fan-out). A slow server
holds every mail at DATA until the test lets go, counting how many wait at once.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

LINK = re.compile(r"https?://\S+")


@dataclass
class Mail:
    sender: str
    to: str
    message: EmailMessage
    raw: bytes  # as it came over the wire

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    def raw_header(self, name: str) -> str:
        """A header exactly as sent (unfolded), not decoded."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        unfolded = re.sub(r"\r\n[ \t]", " ", head)
        for line in unfolded.split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == name.lower():
                return value.strip()
        raise AssertionError(f"no {name} header in:\n{head}")

    def link(self, path: str) -> str:
        """The first link in the body whose path starts with ``path``."""
        for url in LINK.findall(self.text):
            if path in url:
                return str(url)
        raise AssertionError(f"no {path} link in:\n{self.text}")


@dataclass
class Hold:
    """A mail to ``address`` waits at DATA: ``reached`` is set (on the test loop) when it
    arrives; ``release`` lets the server answer ``reply`` without keeping it."""

    address: str
    reply: str = "421 4.3.2 Service shutting down"
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: threading.Event = field(default_factory=threading.Event)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        refusals = self.box.refusals.get(address.lower())
        if refusals:
            return refusals.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        box = self.box
        box.sessions.add(id(session))
        box.in_data += 1
        box.most_in_data = max(box.most_in_data, box.in_data)
        try:
            if box.slow is not None:
                box.loop.call_soon_threadsafe(box._changed.set)
                await asyncio.get_running_loop().run_in_executor(None, box.slow.wait, 30)
            return await self._data(envelope)
        finally:
            box.in_data -= 1

    async def _data(self, envelope: Any) -> str:
        box = self.box
        for hold in list(box.holds):
            if hold.address in (a.lower() for a in envelope.rcpt_tos):
                box.holds.remove(hold)
                box.loop.call_soon_threadsafe(hold.reached.set)
                await asyncio.get_running_loop().run_in_executor(None, hold.release.wait, 30)
                return hold.reply
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        for to in envelope.rcpt_tos:
            box.loop.call_soon_threadsafe(
                box.arrive, Mail(envelope.mail_from, to, message, envelope.content)
            )
        return "250 2.0.0 Message accepted for delivery"


class _AnyPortController(Controller):
    """aiosmtpd checks the server by connecting to ``port``; with port 0 that must be
    the port the system actually chose."""

    def _trigger_server(self) -> None:
        server: Any = self.server
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class Mailbox:
    def __init__(self, *, password: str | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.mails: list[Mail] = []
        self.refusals: dict[str, list[str]] = {}
        self.holds: list[Hold] = []
        self._changed = asyncio.Event()
        # A slow server: while ``slow`` is set to an unset Event, every mail waits at DATA
        # until it is set. Counted: mails at DATA at once (each on its own connection),
        # the most there ever were, and the sessions (connections) that sent one.
        self.slow: threading.Event | None = None
        self.in_data = 0
        self.most_in_data = 0
        self.sessions: set[int] = set()
        options: dict[str, Any] = {}
        if password is not None:
            options = {"authenticator": self._authenticator(password), "auth_require_tls": False}
        self.controller = _AnyPortController(
            _Handler(self), hostname="127.0.0.1", port=0, **options
        )

    @staticmethod
    def _authenticator(password: str) -> Callable[..., AuthResult]:
        def check(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
            return AuthResult(success=auth.password == password.encode(), handled=False)

        return check

    async def start(self) -> None:
        await asyncio.to_thread(self.controller.start)

    async def stop(self) -> None:
        for hold in self.holds:
            hold.release.set()
        if self.slow is not None:
            self.slow.set()
        await asyncio.to_thread(self.controller.stop)

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user else ""
        return f"smtp://{auth}127.0.0.1:{self.controller.port}"

    def arrive(self, mail: Mail) -> None:
        self.mails.append(mail)
        self._changed.set()

    def refuse(self, address: str, *replies: str) -> None:
        """RCPT TO ``address`` gets these replies, one per attempt, then is accepted."""
        self.refusals[address.lower()] = list(replies)

    def hold(self, address: str) -> Hold:
        hold = Hold(address.lower())
        self.holds.append(hold)
        return hold

    def to(self, address: str, subject: str = "") -> list[Mail]:
        return [m for m in self.mails if m.to.lower() == address.lower() and subject in m.subject]

    async def wait_for(self, address: str, subject: str = "", limit: float = 10.0) -> Mail:
        """The first mail to ``address`` whose subject contains ``subject``."""
        await self.until(lambda: bool(self.to(address, subject)), limit)
        return self.to(address, subject)[0]

    async def until(self, condition: Callable[[], bool], limit: float = 10.0) -> None:
        async def wait() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), limit)
