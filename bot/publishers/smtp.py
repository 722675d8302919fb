"""Sending mail over SMTP (aiosmtplib), with failures a person can act on.

``SMTP_URL`` is ``smtp://user:pass@host:port`` (STARTTLS whenever the server offers
it) or ``smtps://…`` (TLS from the first byte). The password is never sent over a
connection that is not encrypted, unless the server is on this machine (a local
relay, a test server): a server that stops offering STARTTLS must not get it in clear.
"""

from __future__ import annotations

import asyncio
import email.policy
import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from commands import DeliveryFailed

TIMEOUT = 30.0  # one SMTP command (aiosmtplib's own)
MESSAGE_TIMEOUT = 30.0  # one whole message: MAIL FROM to the answer after DATA
QUIT_TIMEOUT = 5.0
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
SMTP_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)
# Header lines may reach 998 characters (RFC 5322): a long List-Unsubscribe URL must stay
# one plain <…> token, not be cut into encoded words that mail providers cannot read.
WIRE = email.policy.SMTP.clone(max_line_length=998)


class SmtpUrlError(ValueError):
    """SMTP_URL cannot be understood; the message says how to write it."""


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            raise SmtpUrlError(
                "SMTP_URL should look like smtp://user:password@mail.example.com:587 "
                "(or smtps://… for TLS from the start)"
            )
        try:
            port = parts.port or DEFAULT_PORTS[scheme]
        except ValueError as error:
            raise SmtpUrlError(f"SMTP_URL has an invalid port: {error}") from None
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        return cls(parts.hostname, port, scheme == "smtps", username, password)

    @property
    def where(self) -> str:
        return f"{self.hostname}:{self.port}"

    @property
    def is_local(self) -> bool:
        if self.hostname == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.hostname).is_loopback
        except ValueError:
            return False


class RecipientRefused(Exception):
    """The server would not take mail for this one address."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code, self.reason = code, reason

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500


def _said(error: aiosmtplib.SMTPResponseException) -> str:
    return f"{error.code} {' '.join(error.message.split())}"[:200]


def failure(error: Exception, config: SmtpConfig) -> DeliveryFailed:
    """An SMTP exception → a reason an operator can act on, and whether to try again."""
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return DeliveryFailed(
            f"the mail server {config.where} refused the login ({_said(error)}); "
            "check the user and password in SMTP_URL",
            retryable=False,
        )
    if isinstance(error, aiosmtplib.SMTPResponseException):
        temporary = 400 <= error.code < 500
        return DeliveryFailed(
            f"the mail server {config.where} answered {_said(error)}", retryable=temporary
        )
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refused = error.recipients[0] if error.recipients else None
        temporary = refused is not None and 400 <= refused.code < 500
        return DeliveryFailed(f"the mail server refused a recipient: {error}", retryable=temporary)
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return DeliveryFailed(
            f"the mail server {config.where} cannot do what Candor needs: {error}",
            retryable=False,
        )
    return DeliveryFailed(
        f"could not talk to the mail server {config.where} ({type(error).__name__}: "
        f"{error or 'no detail'})",
        retryable=True,
    )


class SmtpSession:
    """One open connection; ``send`` raises ``RecipientRefused`` for a refused address and
    ``DeliveryFailed`` for anything that concerns every message (the connection is then
    of no further use: a message that timed out leaves it mid-conversation)."""

    def __init__(
        self,
        client: aiosmtplib.SMTP,
        config: SmtpConfig,
        sender: str,
        timeout: float = MESSAGE_TIMEOUT,
    ) -> None:
        self._client, self._config, self._sender = client, config, sender
        self._timeout = timeout

    async def send(self, message: EmailMessage, recipient: str) -> None:
        deadline = asyncio.timeout(self._timeout)
        try:
            raw = message.as_bytes(policy=WIRE)
            async with deadline:
                await self._client.sendmail(self._sender, [recipient], raw)
        except TimeoutError as error:
            if not deadline.expired():  # aiosmtplib's own, for one command
                raise failure(error, self._config) from error
            raise DeliveryFailed(
                f"the mail server {self._config.where} did not take a message within "
                f"{self._timeout:g} s",
                retryable=True,
            ) from error
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[0]
            raise RecipientRefused(refused.code, " ".join(refused.message.split())) from error
        except aiosmtplib.SMTPDataError as error:  # one recipient per mail: about this one
            raise RecipientRefused(error.code, " ".join(error.message.split())) from error
        except ValueError as error:  # an address aiosmtplib will not put on the wire
            raise RecipientRefused(553, str(error)) from error
        except SMTP_ERRORS as error:
            raise failure(error, self._config) from error


class Mailer:
    """Opens SMTP sessions for one configured server and envelope sender."""

    def __init__(
        self, config: SmtpConfig, sender: str, *, message_timeout: float = MESSAGE_TIMEOUT
    ) -> None:
        self.config, self.sender = config, sender
        self.message_timeout = message_timeout

    @asynccontextmanager
    async def session(self) -> AsyncIterator[SmtpSession]:
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.hostname,
            port=config.port,
            use_tls=config.implicit_tls,
            start_tls=False if config.implicit_tls else None,  # None: when offered
            timeout=TIMEOUT,
        )
        try:
            await client.connect()
            await self._login(client)
        except DeliveryFailed:
            client.close()
            raise
        except SMTP_ERRORS as error:
            client.close()
            raise failure(error, config) from error
        try:
            yield SmtpSession(client, config, self.sender, self.message_timeout)
        except BaseException:  # a failed (or timed-out) conversation: no goodbye to wait for
            client.close()
            raise
        await _quit(client)

    async def _login(self, client: aiosmtplib.SMTP) -> None:
        config = self.config
        if config.username is None:
            return
        if client.get_transport_info("sslcontext") is None and not config.is_local:
            raise DeliveryFailed(
                f"the mail server {config.where} offers no encryption (no STARTTLS), so "
                "Candor will not send it the SMTP password; use smtps:// or a server with TLS",
                retryable=False,
            )
        await client.login(config.username, config.password or "")


async def _quit(client: aiosmtplib.SMTP) -> None:
    """Say goodbye politely; a server that already hung up is not an error."""
    try:
        if client.is_connected:
            async with asyncio.timeout(QUIT_TIMEOUT):
                await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()
