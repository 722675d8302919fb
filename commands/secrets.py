"""Secrets never go public: detect them in public text, and redact them from URLs.

Detection uses detect-secrets' format plugins (maintained upstream as providers change
their token formats), run directly on a string, plus a few patterns for formats those
plugins do not know yet. Its high-entropy and keyword plugins are left out: on plain
English statements they either miss (keyword wants quotes or code) or flag ordinary
words; a narrower "password: value" rule below takes the keyword plugin's place.

Only a description of what was found is ever returned ("a GitHub token"), never the
value: the result is shown in chat and may be logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, parse_qsl, quote, urlsplit, urlunsplit

from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from commands.errors import UsageError

MASK = "***"

# detect-secrets plugin → how the finding is named to people. (The plugins hold no
# state: ``analyze_string`` is a pure regex scan, with no settings or verification.)
_PLUGINS: tuple[tuple[str, RegexBasedDetector], ...] = (
    ("an AWS access key", AWSKeyDetector()),
    ("a GitHub token", GitHubTokenDetector()),
    ("a GitLab token", GitLabTokenDetector()),
    ("a Slack token or webhook URL", SlackDetector()),
    ("a Discord bot token", DiscordBotTokenDetector()),
    ("an OpenAI key", OpenAIDetector()),
    ("a Stripe key", StripeDetector()),
    ("a JWT", JwtTokenDetector()),
    ("a private key", PrivateKeyDetector()),
    ("a password in a URL", BasicAuthDetector()),
    ("an Azure storage key", AzureStorageKeyDetector()),
    ("an Artifactory credential", ArtifactoryDetector()),
    ("a Mailchimp key", MailchimpDetector()),
    ("an npm token", NpmDetector()),
    ("a PyPI token", PypiTokenDetector()),
    ("a SendGrid key", SendGridDetector()),
    ("a Square OAuth secret", SquareOAuthDetector()),
    ("a Telegram bot token", TelegramBotTokenDetector()),
    ("a Twilio key", TwilioKeyDetector()),
)

# Formats detect-secrets 1.5 does not cover (its GitHub plugin knows only the classic
# ``ghp_`` tokens, its Slack plugin only numeric ``xox?-`` tokens, its OpenAI plugin only
# the legacy ``T3BlbkFJ`` keys).
_BEFORE = r"(?<![A-Za-z0-9_-])"
_EXTRA: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a GitHub token", re.compile(_BEFORE + r"github_pat_[A-Za-z0-9_]{22,}")),
    ("a Slack token or webhook URL", re.compile(_BEFORE + r"xapp-\d+-[A-Za-z0-9-]{10,}")),
    (
        "a Discord webhook URL",
        re.compile(
            r"https?://(?:[a-z]+\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/\d+/[\w-]{20,}",
            re.IGNORECASE,
        ),
    ),
    ("a Google API key", re.compile(_BEFORE + r"AIza[0-9A-Za-z_-]{35}")),
    ("an Anthropic key", re.compile(_BEFORE + r"sk-ant-[A-Za-z0-9_-]{20,}")),
    (
        "an OpenAI key",
        re.compile(_BEFORE + r"sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}"),
    ),
    (
        "an AWS secret key",
        re.compile(
            r"aws_?secret_?access_?key\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])",
            re.IGNORECASE,
        ),
    ),
    ("a webhook secret", re.compile(_BEFORE + r"whsec_[A-Za-z0-9+/=]{10,}")),
)

# "password: hunter2hunter2" — but not "the token: nothing". The value must look made
# up rather than a word: it has a digit, or an upper-case letter after its first one.
_ASSIGNED = re.compile(
    r"\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|token)"
    r"\s*[:=]\s*[\"']?([^\s\"']{6,})",
    re.IGNORECASE,
)
_MADE_UP = re.compile(r"\d|.[A-Z]")


def _assigned_secret(text: str) -> bool:
    for match in _ASSIGNED.finditer(text):
        value = match.group(1).rstrip(".,;:!?)")
        if len(value) >= 6 and _MADE_UP.search(value):
            return True
    return False


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def secrets_in(text: str) -> list[str]:
    """What kinds of secret ``text`` seems to hold, each named once ("a GitHub token"),
    in a fixed order. Never the values."""
    found = [name for name, plugin in _PLUGINS if any(plugin.analyze_string(text))]
    found += [name for name, pattern in _EXTRA if pattern.search(text)]
    if _assigned_secret(text):
        found.append("a password or key")
    return _unique(found)


def refuse_secrets(what: str, text: str, *, nothing: str = "nothing was opened") -> None:
    """Raise ``UsageError`` when ``text``, public once accepted, seems to hold a secret.

    ``what`` names the field as a sentence starts ("The title", "The description");
    ``nothing`` says what did not happen ("nothing was renamed"). For any public field."""
    found = secrets_in(text)
    if found:
        raise UsageError(
            f"{what} looks like it contains {' and '.join(found)}; {nothing}.",
            f"Write {what[:1].lower()}{what[1:]} without it; secrets never go public.",
        )


# --- URLs -----------------------------------------------------------------------------

# Webhook URLs whose path holds the secret itself (whoever has the URL can post):
# (host, path up to the token).
_TOKEN_PATHS = (
    # Slack: /services/T…/B…/<token>; Workflow Builder: /workflows|triggers/T…/…/<token>
    (
        re.compile(r"(?:^|\.)slack\.com$", re.IGNORECASE),
        re.compile(r"^(/(?:services|workflows|triggers)/.+/)[^/]+$"),
    ),
    # Discord: /api[/v10]/webhooks/<id>/<token>[/slack|/github]
    (
        re.compile(r"(?:^|\.)discord(?:app)?\.com$", re.IGNORECASE),
        re.compile(r"^(/api/(?:v\d+/)?webhooks/\d+/)[^/]+"),
    ),
)
# A URL in prose: not its closing punctuation ("…?token=abc123, then" keeps the comma).
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]]")


def _redact_path(host: str, path: str) -> str:
    for host_pattern, pattern in _TOKEN_PATHS:
        if host_pattern.search(host) and pattern.match(path):
            path = pattern.sub(lambda m: m.group(1) + MASK, path, count=1)
            break
    # Any other segment that is itself a known secret format.
    return "/".join(MASK if s and secrets_in(s) else s for s in path.split("/"))


def _netloc(parts: SplitResult) -> str:
    host = parts.netloc.rpartition("@")[2]
    if "@" not in parts.netloc:
        return host
    if parts.password is not None:
        return f"{parts.username}:{MASK}@{host}"
    # A lone user name in a URL is usually a token (https://<token>@host).
    return f"{MASK}@{host}"


def redact_url(url: str) -> str:
    """``url`` fit to show or log: no password, no query values, no path token.

    Every query value is masked, not just those named like secrets: receivers put
    tokens under any name (``code``, ``sig``, ``sv``, ``k``, ``X-Amz-Signature``...), and
    a masked harmless value costs nothing while a missed secret leaks. The names stay,
    so an operator still recognises the URL. Text that is not a URL comes back as is.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.scheme or not parts.netloc:
        return url
    query = "&".join(
        f"{quote(name, safe='[]')}={MASK if value else ''}"
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    fragment = MASK if parts.fragment else ""
    return urlunsplit(
        (
            parts.scheme,
            _netloc(parts),
            _redact_path(parts.hostname or "", parts.path),
            query,
            fragment,
        )
    )


def redact_urls(text: str) -> str:
    """Every URL in free text (an error message, a log line) passed through ``redact_url``."""
    return _URL.sub(lambda m: redact_url(m.group(0)), text)
