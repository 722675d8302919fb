"""The fake Discord gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME
with replay of what was dispatched while the client was away, and intents.

Frames go out uncompressed as text: discord.py asks for `compress=zlib-stream` but parses
text frames as plain JSON, and only binary frames go through its inflater."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes import discord_payloads as p
from tests.fakes.discord_guilds import World

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, REQUEST_MEMBERS = 0, 1, 2, 6, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
RESUMABLE_CLOSE = 4000  # "unknown error": clients reconnect and RESUME
AUTHENTICATION_FAILED = 4004

# Which intent an event needs; events not listed (READY, INTERACTION_CREATE...) always go.
EVENT_INTENTS = {
    "GUILD_CREATE": p.GUILDS,
    "GUILD_UPDATE": p.GUILDS,
    "GUILD_ROLE_CREATE": p.GUILDS,
    "CHANNEL_CREATE": p.GUILDS,
    "CHANNEL_UPDATE": p.GUILDS,
    "CHANNEL_DELETE": p.GUILDS,
    "CHANNEL_PINS_UPDATE": p.GUILDS,
    "GUILD_MEMBER_ADD": p.GUILD_MEMBERS,
    "MESSAGE_CREATE": p.GUILD_MESSAGES,
    "MESSAGE_UPDATE": p.GUILD_MESSAGES,
    "MESSAGE_DELETE": p.GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": p.GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": p.GUILD_MESSAGE_REACTIONS,
}
CONTENT_KEYS = {"content": "", "embeds": [], "attachments": [], "components": []}


@dataclass
class Session:
    id: str
    intents: int
    seq: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)  # every dispatch frame sent
    ws: web.WebSocketResponse | None = None
    resumable: bool = True
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def wants(self, event: str, data: dict[str, Any]) -> bool:
        needed = EVENT_INTENTS.get(event, 0)
        if event.startswith("MESSAGE_") and "guild_id" not in data:  # a DM
            needed = p.DIRECT_MESSAGE_REACTIONS if "REACTION" in event else p.DIRECT_MESSAGES
        return needed == 0 or bool(self.intents & needed)

    def shaped(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Message payloads lose their content without the MESSAGE_CONTENT intent, unless
        the bot wrote the message or is mentioned in it (Discord's rule)."""
        if not event.startswith("MESSAGE_") or "content" not in data or "guild_id" not in data:
            return data
        if self.intents & p.MESSAGE_CONTENT or data.get("author", {}).get("id") == p.BOT_USER_ID:
            return data
        if any(u.get("id") == p.BOT_USER_ID for u in data.get("mentions", [])):
            return data
        return {**data, **CONTENT_KEYS}


class Gateway:
    def __init__(
        self,
        world: World,
        notify: Callable[[], Awaitable[None]],
        resume_url: Callable[[], str],
        token: str | None,
        heartbeat_interval_ms: int,
    ) -> None:
        self.world = world
        self._notify = notify
        self._resume_url = resume_url
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, Session] = {}
        self.identifies = 0
        self.resumes = 0
        self.heartbeats = 0
        self.ready_count = 0  # READY + GUILD_CREATEs fully sent
        self.resumed_count = 0
        self.intents: list[int] = []  # what each IDENTIFY asked for
        self.received: list[dict[str, Any]] = []  # every frame clients sent
        self.gate = asyncio.Event()  # cleared: IDENTIFY/RESUME answers wait (see hold())
        self.gate.set()
        self._sockets: set[web.WebSocketResponse] = set()

    # -- dispatching -----------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to every session that wants it; a session whose socket is down
        keeps it in its log, replayed after RESUME."""
        for session in list(self.sessions.values()):
            if session.resumable and session.wants(event, data):
                await self._send_event(session, event, session.shaped(event, data))
        await self._notify()

    async def _send_event(self, session: Session, event: str, data: dict[str, Any]) -> None:
        async with session.lock:
            session.seq += 1
            frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
            session.log.append(frame)
            if session.ws is not None:
                await _send(session.ws, frame)

    # -- connections -----------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        session: Session | None = None
        try:
            await _send(ws, _op(HELLO, {"heartbeat_interval": self.heartbeat_interval_ms}))
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                self.received.append(frame)
                session = await self._on_frame(ws, frame) or session
                await self._notify()
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                # A clean close ends the session. (discord.py's Client.close() usually
                # reaches the wire as 4000, so its session stays resumable, as on Discord.)
                if ws.close_code in (1000, 1001):
                    session.resumable = False
            await self._notify()
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> Session | None:
        op, data = frame.get("op"), frame.get("d") or {}
        if op == HEARTBEAT:
            self.heartbeats += 1
            await _send(ws, _op(HEARTBEAT_ACK, None))
        elif op == IDENTIFY:
            await self.gate.wait()
            return await self._identify(ws, data)
        elif op == RESUME:
            await self.gate.wait()
            return await self._resume(ws, data)
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(ws, data)
        return None

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        self.identifies += 1
        if self.token is not None and data.get("token") != self.token:
            await ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        self.intents.append(intents)
        session = Session(p.snowflake(), intents)
        self.sessions[session.id] = session
        session.ws = ws
        ready = p.ready(self.world.bot, list(self.world.guilds), session.id, self._resume_url())
        await self._send_event(session, "READY", ready)
        if session.wants("GUILD_CREATE", {}):
            for guild_id in list(self.world.guilds):
                await self._send_event(session, "GUILD_CREATE", self.world.guild_create(guild_id))
        self.ready_count += 1
        return session

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        self.resumes += 1
        session = self.sessions.get(str(data.get("session_id")))
        wrong_token = self.token is not None and data.get("token") != self.token
        if session is None or not session.resumable or wrong_token:
            await _send(ws, _op(INVALID_SESSION, False))
            return None
        seen = int(data.get("seq") or 0)
        async with session.lock:
            session.ws = ws
            for frame in session.log:
                if frame["s"] > seen:
                    await _send(ws, frame)
        await self._send_event(session, "RESUMED", {"_trace": ["fake-discord"]})
        self.resumed_count += 1
        return session

    async def _members_chunk(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = next((s for s in self.sessions.values() if s.ws is ws), None)
        guild = self.world.guilds.get(str(data.get("guild_id")))
        if session is None or guild is None:
            return
        wanted = {str(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "")
        members = [
            dict(m)
            for uid, m in guild.members.items()
            if (not wanted or uid in wanted) and m["user"]["username"].startswith(query)
        ]
        chunk = {
            "guild_id": guild.id,
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "presences": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._send_event(session, "GUILD_MEMBERS_CHUNK", chunk)

    @property
    def open_sockets(self) -> int:
        return len(self._sockets)

    # -- faults ----------------------------------------------------------------------

    async def drop(self, *, resume: bool) -> None:
        """Close every open socket as a network failure would (code 4000: the client
        reconnects and sends RESUME). With resume=False the sessions are invalidated, so
        that RESUME is answered with INVALID_SESSION and the client must IDENTIFY again."""
        for session in self.sessions.values():
            socket, session.ws = session.ws, None
            if not resume:
                session.resumable = False
            if socket is not None:
                await socket.close(code=RESUMABLE_CLOSE, message=b"fake drop")

    async def close(self) -> None:
        self.gate.set()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"fake stopping")


def _op(op: int, data: object) -> dict[str, Any]:
    return {"op": op, "d": data, "s": None, "t": None}


async def _send(ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
    """Send, ignoring a socket that is already closing: the frame stays in the session's
    log and is replayed on RESUME, which is what Discord guarantees."""
    if ws.closed:
        return
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_str(json.dumps(frame))
