"""Email subscription pages on the hub (double opt-in, one-click unsubscribe).

GET  /status/subscribe[?incident_id=]     the form (the hub pages carry it too)
POST /status/subscribe                    email, incident_id → "check your inbox"
                                          (429 with Retry-After past the limits)
GET  /status/confirm?token=…              asks, with a button (link scanners follow
                                          links: following one changes nothing)
POST /status/confirm                      token (in the form) → confirms
GET  /status/unsubscribe?token=…          asks, with a button
POST /status/unsubscribe?token=…          unsubscribes; also RFC 8058 one-click
                                          (body ``List-Unsubscribe=One-Click``)

The answer to a subscribe request is the same whether or not the address is
already subscribed. Pages are never cached: they carry personal links. The POSTs
need no CSRF token: the signed token they carry is itself the capability, and a
forged form from another site cannot know it.

The form has a honeypot: a field people never see (``website``) that form-filling
bots fill. A filled one gets the usual "check your inbox" page, and nothing happens.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.hub.templating import hub_environment
from bot.publishers.links import LinkExpired, LinkInvalid, LinkStale
from bot.publishers.mail import for_humans
from bot.publishers.subscriptions import (
    InvalidAddress,
    MailUnavailable,
    Subscriptions,
    UnknownIncident,
)
from bot.publishers.throttle import TooManyRequests

HONEYPOT = "website"

HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
LINK_PROBLEMS = {
    LinkExpired: (
        410,
        "This link has expired",
        "Confirmation links work for {valid_for}. Ask for a new one and follow it soon.",
        True,
    ),
    LinkStale: (
        410,
        "This link is older than your unsubscribe",
        "You unsubscribed after this link was sent, so it no longer subscribes you. "
        "Ask for a new link if you want updates again.",
        True,
    ),
    LinkInvalid: (
        400,
        "This link does not work",
        "It may have been cut short when it was copied. Open it straight from the email, "
        "or ask for a new one.",
        True,
    ),
}


WAIT_REASONS = {
    "client": "You have asked for several confirmation emails in a short time.",
    "mailbox": "We have sent several confirmation emails to this mailbox recently.",
    "everyone": "Many people are asking for email updates right now.",
}


def _client_address(request: web.Request) -> str | None:
    """The client's address. Behind a reverse proxy the connection guard
    (bot/connections.py) has already put the client named by X-Forwarded-For from a
    TRUSTED_PROXIES peer in ``request.remote``; without it, every client is the proxy."""
    return request.remote


def _in_words(wait: timedelta) -> str:
    seconds = max(1, round(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    return for_humans(timedelta(minutes=-(-seconds // 60)))


def _incident_id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


class SubscriptionPages:
    def __init__(self, subscriptions: Subscriptions | None, site_title: str) -> None:
        self.subscriptions, self.site_title = subscriptions, site_title
        self.env = hub_environment()

    def page(self, name: str, status: int = 200, **values: object) -> web.Response:
        html = self.env.get_template(f"subscribe_{name}.html").render(
            site_title=self.site_title, **values
        )
        return web.Response(
            text=html, status=status, content_type="text/html", charset="utf-8", headers=HEADERS
        )

    def _unavailable(self) -> web.Response:
        return self.page(
            "unavailable",
            404,
            heading="Email updates are not offered here",
            explanation="This status page does not send email. Bookmark it, or follow its "
            "Atom feed, to hear about new updates.",
        )

    async def form(self, request: web.Request) -> web.Response:
        if self.subscriptions is None:
            return self._unavailable()
        incident_id = _incident_id(request.query.get("incident_id"))
        scope = None
        if incident_id is not None:
            try:
                scope = await self.subscriptions.describe_scope(incident_id)
            except UnknownIncident:
                incident_id = None
        return self.page("form", email="", incident_id=incident_id, scope=scope, error=None)

    def _wait(self, refused: TooManyRequests) -> web.Response:
        response = self.page(
            "wait",
            429,
            reason=WAIT_REASONS[refused.who],
            wait=_in_words(refused.retry_after),
        )
        response.headers["Retry-After"] = str(refused.seconds)
        return response

    async def subscribe(self, request: web.Request) -> web.Response:
        if self.subscriptions is None:
            return self._unavailable()
        form = await request.post()
        email = str(form.get("email", ""))[:320].strip()
        if str(form.get(HONEYPOT, "")).strip():  # a bot: it learns nothing
            return self.page("sent", email=email, valid_for=self._valid_for)
        raw_incident = str(form.get("incident_id", ""))
        incident_id = _incident_id(raw_incident)
        error = None
        try:
            if raw_incident.strip() and incident_id is None:
                raise UnknownIncident(raw_incident)
            await self.subscriptions.request(email, incident_id, _client_address(request))
        except TooManyRequests as refused:
            return self._wait(refused)
        except InvalidAddress:
            error = "Enter an email address like name@example.com."
        except UnknownIncident:
            error = "That incident is not on this status page. Subscribe to every incident?"
            incident_id = None
        except MailUnavailable:
            return self.page(
                "unavailable",
                503,
                heading="We could not send the confirmation email",
                explanation="Our mail server did not take it just now. Please try again in "
                "a few minutes.",
            )
        if error is not None:
            return self.page(
                "form", 400, email=email, incident_id=incident_id, scope=None, error=error
            )
        return self.page("sent", email=email, valid_for=self._valid_for)

    @property
    def _valid_for(self) -> str:
        """How long a confirmation link works, in words."""
        assert self.subscriptions is not None
        return for_humans(self.subscriptions.unconfirmed_for)

    def _link_problem(self, problem: LinkInvalid) -> web.Response:
        kind = next(k for k in LINK_PROBLEMS if isinstance(problem, k))  # most specific first
        status, heading, explanation, offer = LINK_PROBLEMS[kind]
        explanation = explanation.format(valid_for=self._valid_for)
        return self.page(
            "link", status, heading=heading, explanation=explanation, offer_subscribe=offer
        )

    async def ask_confirm(self, request: web.Request) -> web.Response:
        """The link from the mail: who and what, and the button that confirms."""
        if self.subscriptions is None:
            return self._unavailable()
        token = request.query.get("token", "")
        try:
            asked = await self.subscriptions.to_confirm(token)
        except LinkInvalid as problem:
            return self._link_problem(problem)
        return self.page("confirm", email=asked.email, scope=asked.scope, token=token)

    async def confirm(self, request: web.Request) -> web.Response:
        """The button (the token in the form; in the query too, for a hand-made POST)."""
        if self.subscriptions is None:
            return self._unavailable()
        form = await request.post()
        token = str(form.get("token", "")) or request.query.get("token", "")
        try:
            done = await self.subscriptions.confirm(token)
        except LinkInvalid as problem:
            return self._link_problem(problem)
        return self.page(
            "confirmed", email=done.email, scope=done.scope, unsubscribe_url=done.unsubscribe_url
        )

    async def ask_unsubscribe(self, request: web.Request) -> web.Response:
        if self.subscriptions is None:
            return self._unavailable()
        token = request.query.get("token", "")
        try:
            subscriber = await self.subscriptions.unsubscriber(token)
        except LinkInvalid as problem:
            return self._link_problem(problem)
        return self.page("unsubscribe", email=subscriber.email, token=token)

    async def unsubscribe(self, request: web.Request) -> web.Response:
        """The button, and RFC 8058 one-click from a mail client: no cookie, no form check."""
        if self.subscriptions is None:
            return self._unavailable()
        await request.read()  # the body (List-Unsubscribe=One-Click) changes nothing
        try:
            subscriber = await self.subscriptions.unsubscribe(request.query.get("token", ""))
        except LinkInvalid as problem:
            return self._link_problem(problem)
        return self.page("unsubscribed", email=subscriber.email)


def register_subscriptions(
    app: web.Application,
    subscriptions: Subscriptions | None,
    *,
    site_title: str = "Service status",
) -> None:
    """Add the subscription routes. Without email configured (``subscriptions`` None)
    they answer that email updates are not offered."""
    pages = SubscriptionPages(subscriptions, site_title)
    app.router.add_get("/status/subscribe", pages.form)
    app.router.add_post("/status/subscribe", pages.subscribe)
    app.router.add_get("/status/confirm", pages.ask_confirm)
    app.router.add_post("/status/confirm", pages.confirm)
    app.router.add_get("/status/unsubscribe", pages.ask_unsubscribe)
    app.router.add_post("/status/unsubscribe", pages.unsubscribe)
