"""Secrets never go public: every format we know is caught in a statement (and blocks
its approval), ordinary statements and every template pass, and an incident whose
title holds a secret is never opened.

Fake secrets are assembled at run time, so this file holds nothing a secret scanner
would flag."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from commands.approval.checklist import blocking_problems, review, secrets_in
from commands.errors import UsageError
from commands.grammar.command_line import open_request
from commands.grammar.templates import DEFAULT_TEMPLATES, render
from commands.secrets import redact_url, redact_urls, refuse_secrets
from tests.core.test_commands import refused
from tests.team import Team

_RANDOM = random.Random(20261121)
UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
URL_SAFE = ALNUM + "_-"


def junk(size: int, alphabet: str = ALNUM) -> str:
    return "".join(_RANDOM.choice(alphabet) for _ in range(size))


def _b64(data: dict[str, object]) -> str:
    raw = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    return raw.rstrip("=")


AWS_KEY = "AK" + "IA" + junk(16, UPPER_DIGITS)
GITHUB_TOKEN = "gh" + "p_" + junk(36)

# (what secrets_in names it, a statement holding one)
FORMATS = [
    ("an AWS access key", f"We rotated {AWS_KEY} this morning."),
    ("an AWS secret key", "aws_secret" + "_access_key = " + junk(40, ALNUM + "/+")),
    ("a GitHub token", f"The deploy used {GITHUB_TOKEN} by mistake."),
    ("a GitHub token", "token " + "github" + "_pat_" + junk(22) + "_" + junk(59)),
    (
        "a Slack token or webhook URL",
        "Bot: " + "xo" + "xb-" + junk(12, string.digits) + "-" + junk(13, string.digits) + "-"
        f"{junk(24, string.ascii_lowercase + string.digits)}",
    ),
    (
        "a Slack token or webhook URL",
        "App: " + "xa" + "pp-1-A" + junk(10, UPPER_DIGITS) + "-" + junk(13, string.digits) + "-"
        f"{junk(64, '0123456789abcdef')}",
    ),
    (
        "a Slack token or webhook URL",
        "Posted via https://hooks.slack.com/services/"
        f"T{junk(8, UPPER_DIGITS)}/B{junk(8, UPPER_DIGITS)}/{junk(24)} today.",
    ),
    (
        "a Discord webhook URL",
        "Posted via https://discord.com/api/webhooks/"
        f"{junk(18, string.digits)}/{junk(68, URL_SAFE)} today.",
    ),
    ("a Google API key", "Maps key " + "AI" + "za" + junk(35, URL_SAFE) + " leaked."),
    ("an OpenAI key", "Key " + "sk" + "-" + junk(48) + " was exposed."),
    ("an OpenAI key", "Key " + "sk" + "-proj-" + junk(120, URL_SAFE) + "A was exposed."),
    ("an Anthropic key", "Key " + "sk" + "-ant-api03-" + junk(93, URL_SAFE) + "AA exposed."),
    ("a password in a URL", "Connect to https://" + "deploy:" + junk(12) + "@db.example.com/x"),
    ("a Stripe key", "Key " + "sk" + "_live_" + junk(24)),
    ("a private key", "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIB..."),
    ("a JWT", f"Session {_b64({'alg': 'HS256'})}.{_b64({'sub': 'u1'})}.{junk(43, URL_SAFE)}"),
    ("a webhook secret", "Secret " + "whsec" + "_" + junk(32)),
    ("a password or key", "Payments are failing. password: " + "hunter2" * 2),
]

HARMLESS = [
    "We are aware of an issue affecting Payments. The token: nothing. Next update by 14:30 UTC.",
    "Please change your password: we recommend it after this incident.",
    "Our API key service is slow; tokens issued before 14:00 still work.",
    "The scikit-learn upgrade is done. Next update by 15:00 UTC.",
    "Status: https://status.example.com/status/incidents/4 has the details.",
]


@pytest.mark.parametrize(("name", "body"), FORMATS, ids=[f[0] for f in FORMATS])
def test_each_format_is_caught_and_blocks_approval(name: str, body: str) -> None:
    found = secrets_in(body)
    assert name in found
    [check] = [c for c in review(body, "update") if c.label == "no secrets"]
    assert not check.ok and check.blocking
    assert name in check.note
    assert any(problem.startswith("no secrets") for problem in blocking_problems(body))


@pytest.mark.parametrize(("name", "body"), FORMATS, ids=[f[0] for f in FORMATS])
def test_a_finding_never_quotes_the_secret(name: str, body: str) -> None:
    said = " ".join(secrets_in(body))
    for word in body.split():
        if len(word) >= 16:
            assert word not in said


@pytest.mark.parametrize("body", HARMLESS)
def test_ordinary_statements_pass(body: str) -> None:
    assert secrets_in(body) == []
    assert blocking_problems(body) == []


@pytest.mark.parametrize("name", sorted(DEFAULT_TEMPLATES))
def test_every_template_rendered_passes(name: str) -> None:
    template = DEFAULT_TEMPLATES[name]
    body = render(
        template,
        title="Payments",
        next_update="14:30 UTC",
        summary="We rolled back the deploy that caused it. ",
    )
    assert secrets_in(body) == [], body
    [check] = [c for c in review(body, template.kind) if c.label == "no secrets"]
    assert check.ok


def test_refuse_secrets_names_the_field_and_never_the_value() -> None:
    refuse_secrets("The description", "Payments are failing.")  # clean: nothing raised
    with pytest.raises(UsageError) as raised:
        refuse_secrets("The description", f"Key {AWS_KEY}", nothing="nothing was saved")
    error = raised.value
    assert error.message == (
        "The description looks like it contains an AWS access key; nothing was saved."
    )
    assert error.hint == "Write the description without it; secrets never go public."
    assert AWS_KEY not in str(error)


def test_a_modal_description_with_a_secret_is_refused() -> None:
    with pytest.raises(UsageError, match="The description looks like it contains a GitHub"):
        open_request("Payments failing", "sev2", f"see {GITHUB_TOKEN}")


async def test_open_with_a_secret_in_the_title_is_refused_and_nothing_is_created(
    team: Team,
) -> None:
    reply = await refused(
        team,
        "alice",
        f"/incident open Payments down {AWS_KEY} {GITHUB_TOKEN} sev1",
        "The title looks like it contains an AWS access key and a GitHub token; "
        "nothing was opened.",
        "Write the title without it; secrets never go public.",
    )
    assert AWS_KEY not in reply.plain and GITHUB_TOKEN not in reply.plain
    assert team.chat.sent == [] and team.chat.channels == {}


# --- URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://user:pw@hooks.example.com:8443/in?token=abc123&mode=&sig=x#frag",
            "https://user:***@hooks.example.com:8443/in?token=***&mode=&sig=***#***",
        ),
        ("https://tok123@example.com/hook", "https://***@example.com/hook"),
        (
            "https://hooks.slack.com/services/T0001/B0001/abcdefABCDEF123456",
            "https://hooks.slack.com/services/T0001/B0001/***",
        ),
        (
            "https://discord.com/api/webhooks/123456789012345678/abcDEF-ghi_jkl/slack?wait=true",
            "https://discord.com/api/webhooks/123456789012345678/***/slack?wait=***",
        ),
        ("https://example.com/services/a/b/c", "https://example.com/services/a/b/c"),
        ("http://127.0.0.1:8080/hook", "http://127.0.0.1:8080/hook"),
        ("subscribers", "subscribers"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redact_urls_in_prose_keeps_the_punctuation() -> None:
    said = "POST https://a:pw@x.example/y?token=abc123, then (https://x.example/?k=v)."
    assert redact_urls(said) == (
        "POST https://a:***@x.example/y?token=***, then (https://x.example/?k=***)."
    )
