"""Words of the domain shared by the grammar, the handlers and the renderers."""

from __future__ import annotations

import re
import unicodedata

from storage import OPEN_STATES as OPEN_STATES  # re-exported: defined once, in storage
from storage import IncidentState

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
DEFAULT_SEVERITY = "sev2"
RESOLVED = IncidentState.RESOLVED

COMMANDER = "commander"
COMMS = "comms"
ROLE_ALIASES = {
    "ic": COMMANDER,
    "lead": COMMANDER,
    "incident-commander": COMMANDER,
    "communications": COMMS,
    "communication": COMMS,
    "comms-lead": COMMS,
}
ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

TITLE_MAX = 200
STATEMENT_MAX = 3000
NAME_MAX = 100  # statements.signer
CHANNEL_NAME_MAX = 80  # Slack's limit; Discord allows 100


# A system actor (an alert source that opened an incident) has an id no platform gives a
# person: it holds no role, is never invited or mentioned, and never counts as an approver.
SYSTEM_PREFIX = "system:"
# The public words for an incident whose title came from an alert (internal text), in the
# drafts the bot writes for it and in the title a statement carries until someone renames it.
NEUTRAL_TITLE = "some of our services"
PUBLIC_ALERT_TITLE = "Service disruption"


def is_system(user_id: str) -> bool:
    return user_id.startswith(SYSTEM_PREFIX)


def incident_ref(number: int) -> str:
    return f"INC-{number}"


def statement_ref(number: int) -> str:
    return f"S{number}"


def normalise_role(word: str) -> str:
    word = word.strip().lower()
    return ROLE_ALIASES.get(word, word)


def slugify(title: str, limit: int) -> str:
    """ASCII, lowercase, hyphen-separated; accents folded, other scripts dropped."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:limit].rstrip("-")


def channel_name(number: int, title: str) -> str:
    """``inc-<n>-<slug>``: legal on Slack and Discord (lowercase, ≤80, [a-z0-9-])."""
    prefix = f"inc-{number}"
    slug = slugify(title, CHANNEL_NAME_MAX - len(prefix) - 1)
    return f"{prefix}-{slug}" if slug else prefix


def clean_line(value: str) -> str:
    """One line of user text: control characters removed, whitespace collapsed."""
    value = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in value)
    return " ".join(value.split())


def clean_name(value: str) -> str:
    """A display name from a chat profile, fit for every output (chat, hub, feed, email,
    JSON): one line with no control, format (bidi overrides and isolates, zero-width)
    or unassigned characters, at most ``NAME_MAX`` characters (``statements.signer``)."""
    kept = (
        " " if category == "Cc" else "" if category[0] == "C" else ch  # "Ann\nLee": a space
        for ch, category in ((ch, unicodedata.category(ch)) for ch in value)
    )
    return " ".join("".join(kept).split())[:NAME_MAX].rstrip()


def printable(value: str) -> str:
    """Stored text as an output shows it: without the control, format (bidi), surrogate
    and unassigned characters that XML forbids or that reorder what is read, newlines
    and tabs kept. For renderers, whatever got into the database by whatever road."""
    if value.isprintable():  # the usual case: nothing to drop (and no newline either)
        return value
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def clean_body(value: str) -> str:
    """Multi-line user text: control characters (but newlines) removed, trimmed."""
    lines = [
        "".join(ch for ch in line if unicodedata.category(ch)[0] != "C").rstrip()
        for line in value.replace("\r\n", "\n").split("\n")
    ]
    return "\n".join(lines).strip()
