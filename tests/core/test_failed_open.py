"""A failed `/incident open` leaves no half-made incident, and the channel it had already
made says so, so nobody starts working in a channel nothing tracks."""

from __future__ import annotations

import pytest

from commands.handlers import incidents
from storage import Incident, Store
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.team import Team


async def test_a_failed_open_marks_the_channel_it_made(
    store: Store, clock: FakeClock, chat: RecordingChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = Team.build(store, clock, chat)

    async def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(incidents.clockrules, "start", disk_full)
    reply = await team.say("alice", "/incident open Payments failing sev2")

    assert reply.is_error and "Something went wrong" in reply.plain
    assert await team.count(Incident) == 0
    [made] = list(chat.channels)
    assert any("could not be saved" in text for text in chat.texts(made))
