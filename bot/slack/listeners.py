"""Slack payloads → typed requests for the Desk, and Replies → Slack.

Every listener acks first (Slack's 3 s limit holds however slow the work is),
then does the work; bolt runs the rest after the HTTP response has gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.priority import TeamFirst
from bot.slack import modals
from bot.slack.platform import SlackChat
from bot.slack.render import blocks, fallback_text
from commands import (
    Actor,
    ChannelRef,
    ChatError,
    Command,
    CommandError,
    Desk,
    FormAsk,
    ListIncidents,
    Reaction,
    Reply,
    form_for,
    open_request,
    parse,
)

log = logging.getLogger("candor.slack")
PLATFORM = "slack"
ACK_SENT = "candor_ack_sent"  # context key: an Event set once the HTTP ack is on its way
ACK_WAIT = 3.0  # Slack's own limit: never wait longer than that for our ack to leave


def _reply_payload(reply: Reply) -> dict[str, Any]:
    return {
        "response_type": "ephemeral" if reply.ephemeral else "in_channel",
        "text": fallback_text(reply.message),
        "blocks": blocks(reply.message),
    }


class Answers:
    """Answers to slash commands, posted to their ``response_url`` over the adapter's
    keep-alive session (bolt's ``respond`` opens a new connection, and over TLS a new
    handshake, for every answer)."""

    def __init__(self, session: aiohttp.ClientSession | None) -> None:
        self.session = session

    async def send(self, response_url: str, reply: Reply) -> None:
        webhook = AsyncWebhookClient(url=response_url, session=self.session)
        await webhook.send_dict(_reply_payload(reply))


def _as_typed(text: str) -> str:
    """Slack sends the ``&``, ``<`` and ``>`` a person typed as ``&amp;``, ``&lt;`` and
    ``&gt;`` (mentions stay ``<@U…>`` tokens). The core keeps words as typed; every
    renderer escapes them again on the way out."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


async def acknowledged(context: dict[str, Any]) -> None:
    """Over HTTP, wait until the ack has been handed to the server before the work starts:
    bolt looks for the ack only every 10 ms, and under load the work of earlier commands
    (database round trips on the same event loop) would keep later acks waiting."""
    sent = context.get(ACK_SENT)
    if isinstance(sent, asyncio.Event):
        with suppress(TimeoutError):
            await asyncio.wait_for(sent.wait(), ACK_WAIT)


F = TypeVar("F", bound=Callable[..., Any])


class Routes:
    """What each listener method answers, said where the method is (as bolt's ``@app.…``
    decorators say it) and attached to the running app by ``register``."""

    def __init__(self) -> None:
        self.table: list[tuple[str, str, str]] = []  # (bolt's method, its key, listener name)
        self.team: set[str] = set()  # listeners run as the team's work (bot.priority)

    def _route(self, kind: str, key: str) -> Callable[[F], F]:
        def mark(listener: F) -> F:
            self.table.append((kind, key, listener.__name__))
            return listener

        return mark

    def command(self, name: str) -> Callable[[F], F]:
        return self._route("command", name)

    def view(self, callback_id: str) -> Callable[[F], F]:
        return self._route("view", callback_id)

    def event(self, name: str) -> Callable[[F], F]:
        return self._route("event", name)

    def action(self, action_id: str) -> Callable[[F], F]:
        return self._route("action", action_id)

    def team_work(self, listener: F) -> F:
        self.team.add(listener.__name__)
        return listener


class SlackListeners:
    """One method per bolt listener; bolt injects the arguments each one names."""

    app = Routes()

    def __init__(self, desk: Desk, chat: SlackChat, answers: Answers | None = None) -> None:
        self.desk = desk
        self.chat = chat
        self.answers = answers or Answers(None)

    async def tell(self, channel_id: str, user_id: str, reply: Reply | None) -> None:
        if reply is None or reply.duplicate:
            return
        try:
            await self.chat.notify(channel_id, user_id, reply.message)
        except ChatError as error:  # e.g. the bot is not in that channel
            log.info("could not tell %s in %s: %s", user_id, channel_id, error.reason)

    @app.command("/incident")
    @app.team_work
    async def on_command(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        client: Any,
        context: dict[str, Any],
    ) -> None:
        await ack()
        await acknowledged(context)
        text = _as_typed(command.get("text", "")).strip()
        channel = ChannelRef(PLATFORM, command["team_id"], command["channel_id"])
        actor = Actor(PLATFORM, command["user_id"], command.get("user_name", ""))
        if (ask := form_for(text)) is not None:
            view_or_reply = await self._form(ask, actor, channel)
            if isinstance(view_or_reply, Reply):
                await self.answers.send(command["response_url"], view_or_reply)
                return
            await client.views_open(trigger_id=command["trigger_id"], view=view_or_reply)
            return
        reply = await self.desk.handle_text(
            text, actor, channel, event_key=f"slack:cmd:{command['trigger_id']}"
        )
        if not reply.duplicate:
            await self.answers.send(command["response_url"], reply)

    async def _form(
        self, ask: FormAsk, actor: Actor, channel: ChannelRef
    ) -> dict[str, Any] | Reply:
        """The modal a command without its text asks for; a draft's wording is read under
        the same rule as the edit itself (someone who may not edit gets the refusal)."""
        if ask.verb == "open":
            return modals.open_view(channel.channel_id)
        if ask.verb == "draft":
            return modals.draft_view(channel.channel_id, ask.incident.strip())
        found = await self.desk.prefill(ask, actor, channel)
        if isinstance(found, Reply):
            return found
        assert found.statement is not None and found.revision is not None
        return modals.edit_view(
            channel.channel_id, found.incident, found.statement, found.revision, found.text
        )

    async def _submitted(
        self, body: dict[str, Any], view: dict[str, Any], channel_id: str, command: Command
    ) -> None:
        """A modal's command, run as the person who submitted it; they are told the answer."""
        user = body["user"]
        channel = ChannelRef(PLATFORM, user.get("team_id") or body["team"]["id"], channel_id)
        reply = await self.desk.handle(
            command,
            Actor(PLATFORM, user["id"], user.get("name", "")),
            channel,
            event_key=f"slack:view:{view['id']}",
        )
        await self.tell(channel.channel_id, user["id"], reply)

    @app.view(modals.OPEN_CALLBACK)
    @app.team_work
    async def on_open_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        fields = modals.values(view)
        try:
            request = open_request(
                fields.get("title", ""),
                fields.get("severity", ""),
                fields.get("description", ""),
                fields.get("commander") or None,
            )
        except CommandError as error:
            await ack(response_action="errors", errors={"title": error.message[:150]})
            return
        await ack()
        await self._submitted(body, view, view["private_metadata"], Command(request))

    @app.action(modals.TEMPLATE_ACTION)
    @app.team_work
    async def on_template_picked(self, ack: AsyncAck, body: dict[str, Any], client: Any) -> None:
        """A template picked in the draft modal: its text, filled in for the incident,
        goes into the box to be edited before it is sent."""
        await ack()
        view = body["view"]
        template = (body["actions"][0].get("selected_option") or {}).get("value")
        channel_id, incident, _ = modals.draft_metadata(view["private_metadata"])
        channel = ChannelRef(
            PLATFORM, body["user"].get("team_id") or body["team"]["id"], channel_id
        )
        actor = Actor(PLATFORM, body["user"]["id"], body["user"].get("name", ""))
        ask = FormAsk("draft", modals.incident_number(incident), template=template)
        found = await self.desk.prefill(ask, actor, channel)
        if isinstance(found, Reply):
            await self.tell(channel_id, actor.user_id, found)
            return
        await client.views_update(
            view_id=view["id"],
            hash=view["hash"],
            view=modals.draft_view(channel_id, incident, template, found.text),
        )

    @app.view(modals.DRAFT_CALLBACK)
    @app.team_work
    async def on_draft_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        fields = modals.values(view)
        channel_id, incident, filled = modals.draft_metadata(view["private_metadata"])
        template, words = fields.get("template", ""), fields.get("text", "").strip()
        # The template's own text, unchanged, is the template (pre-approved wording keeps
        # its one-approver rule); anything edited or written is the person's own words.
        if template and (not words or modals.fingerprint(words) == filled):
            words = template
        try:
            command = parse(f"{incident} draft {words}")
        except CommandError as error:
            box = modals.text_block_id(view)
            await ack(response_action="errors", errors={box: error.message[:150]})
            return
        await ack()
        await self._submitted(body, view, channel_id, command)

    @app.view(modals.EDIT_CALLBACK)
    @app.team_work
    async def on_edit_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        """Runs as `/incident INC-n edit S6 <text>`: the edit's own rule and checks."""
        channel_id, incident, statement = view["private_metadata"].split()
        try:
            command = parse(f"{incident} edit {statement} {modals.values(view).get('text', '')}")
        except CommandError as error:
            await ack(response_action="errors", errors={"text": error.message[:150]})
            return
        await ack()
        await self._submitted(body, view, channel_id, command)

    async def _on_reaction(self, event: dict[str, Any], body: dict[str, Any], added: bool) -> None:
        item = event.get("item", {})
        if item.get("type") != "message":
            return
        reaction = Reaction(
            channel=ChannelRef(PLATFORM, body["team_id"], item["channel"]),
            message_id=item["ts"],
            actor=Actor(PLATFORM, event["user"]),
            emoji=event["reaction"],
            added=added,
            event_key=f"slack:{body['event_id']}",
        )
        await self.tell(item["channel"], event["user"], await self.desk.react(reaction))

    @app.event("reaction_added")
    @app.team_work
    async def on_reaction_added(
        self, event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]
    ) -> None:
        await acknowledged(context)
        await self._on_reaction(event, body, added=True)

    @app.event("reaction_removed")
    @app.team_work
    async def on_reaction_removed(
        self, event: dict[str, Any], body: dict[str, Any], context: dict[str, Any]
    ) -> None:
        await acknowledged(context)
        await self._on_reaction(event, body, added=False)

    @app.event("app_home_opened")
    async def on_home(self, event: dict[str, Any], body: dict[str, Any], client: Any) -> None:
        if event.get("tab") not in (None, "home"):
            return
        reply = await self.desk.handle(
            Command(ListIncidents()),
            Actor(PLATFORM, event["user"]),
            ChannelRef(PLATFORM, body["team_id"], ""),
        )
        await client.views_publish(
            user_id=event["user"], view={"type": "home", "blocks": blocks(reply.message)}
        )


def register(
    app: AsyncApp,
    desk: Desk,
    chat: SlackChat,
    team_first: TeamFirst | None = None,
    session: aiohttp.ClientSession | None = None,
) -> None:
    """Attach every listener of ``SlackListeners`` to ``app``; bolt reads the arguments to
    inject from each method's own signature (``team_work`` keeps it, bolt skips ``self``)."""
    first = team_first or TeamFirst()
    listeners = SlackListeners(desk, chat, Answers(session))
    routes = SlackListeners.app
    for kind, key, name in routes.table:
        listener = getattr(listeners, name)
        if name in routes.team:
            listener = first.team_work(listener)
        getattr(app, kind)(key)(listener)
