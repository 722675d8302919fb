"""SMTP_URL is read the way people write it, and an unreachable server is a
failure worth retrying, with the server named."""

from __future__ import annotations

import socket

import pytest

from bot.publishers.smtp import Mailer, SmtpConfig, SmtpUrlError
from commands.ports import DeliveryFailed


def test_smtp_urls() -> None:
    plain = SmtpConfig.parse("smtp://mailer:p%40ss%3Aword@mail.example.com:587")
    assert (plain.hostname, plain.port, plain.implicit_tls) == ("mail.example.com", 587, False)
    assert (plain.username, plain.password) == ("mailer", "p@ss:word")
    assert "p@ss" not in repr(plain)
    tls = SmtpConfig.parse("smtps://mail.example.com")
    assert (tls.port, tls.implicit_tls, tls.username) == (465, True, None)
    assert SmtpConfig.parse("smtp://127.0.0.1").is_local
    assert not SmtpConfig.parse("smtp://mail.example.com").is_local
    for bad in ("mail.example.com", "https://mail.example.com", "smtp://", "smtp://h:port"):
        with pytest.raises(SmtpUrlError):
            SmtpConfig.parse(bad)


async def test_an_unreachable_server_is_a_retryable_failure() -> None:
    with socket.socket() as probe:  # a port nobody listens on once this closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailer = Mailer(SmtpConfig.parse(f"smtp://127.0.0.1:{port}"), "status@acme.example")
    with pytest.raises(DeliveryFailed) as failure:
        async with mailer.session():
            pass
    assert failure.value.retryable
    assert f"could not talk to the mail server 127.0.0.1:{port}" in failure.value.reason
