"""Email subscription pages on the hub (double opt-in, one-click unsubscribe).

GET  /status/subscribe[?incident_id=]     the form (the hub pages carry it too)
POST /status/subscribe                    email, incident_id → "check your inbox"
GET  /status/confirm?token=…              confirms the subscription
GET  /status/unsubscribe?token=…          asks, with a button
POST /status/unsubscribe?token=…          unsubscribes; also RFC 8058 one-click
                                          (body ``List-Unsubscribe=One-Click``)

The answer to a subscribe request is the same whether or not the address is
already subscribed. Pages are never cached: they carry personal links.
"""

from __future__ import annotations

from aiohttp import web

from bot.hub.templating import hub_environment
from bot.publishers.links import LinkExpired, LinkInvalid, LinkStale
from bot.publishers.subscriptions import (
    InvalidAddress,
    MailUnavailable,
    Subscriptions,
    UnknownIncident,
)

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
        "Confirmation links work for 3 days. Ask for a new one and follow it soon.",
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

    async def subscribe(self, request: web.Request) -> web.Response:
        if self.subscriptions is None:
            return self._unavailable()
        form = await request.post()
        email = str(form.get("email", ""))[:320].strip()
        raw_incident = str(form.get("incident_id", ""))
        incident_id = _incident_id(raw_incident)
        error = None
        try:
            if raw_incident.strip() and incident_id is None:
                raise UnknownIncident(raw_incident)
            await self.subscriptions.request(email, incident_id)
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
        return self.page("sent", email=email)

    def _link_problem(self, problem: LinkInvalid) -> web.Response:
        kind = next(k for k in LINK_PROBLEMS if isinstance(problem, k))  # most specific first
        status, heading, explanation, offer = LINK_PROBLEMS[kind]
        return self.page(
            "link", status, heading=heading, explanation=explanation, offer_subscribe=offer
        )

    async def confirm(self, request: web.Request) -> web.Response:
        if self.subscriptions is None:
            return self._unavailable()
        try:
            done = await self.subscriptions.confirm(request.query.get("token", ""))
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
    app.router.add_get("/status/confirm", pages.confirm)
    app.router.add_get("/status/unsubscribe", pages.ask_unsubscribe)
    app.router.add_post("/status/unsubscribe", pages.unsubscribe)
