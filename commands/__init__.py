"""The core's public face: everything bot/ may use, and nothing else (an
import-linter contract in pyproject.toml keeps bot/ to this module). Inside
the core, modules import each other by their full paths."""

from commands.alerts.intake import AlertIntake, AlertsUnavailable, Receipt
from commands.alerts.mapping import AlertMapping, parse_alert_mapping
from commands.alerts.notification import FIRING, RESOLVED, SOURCE_NAMES, Alert, Notification
from commands.approval.phrases import ChecklistPhrases
from commands.approval.policy import (
    EMOJI_ALIASES,
    ApprovalPolicy,
    CadencePolicy,
    PolicyError,
    normalise_emoji,
    parse_approvers,
    parse_required,
)
from commands.authority.rules import AuthorityPolicy, parse_admins, parse_rules
from commands.clock import Clock, ShiftedClock, SystemClock
from commands.context import Deps
from commands.desk import Desk, Reaction
from commands.domain import (
    DEFAULT_SEVERITY,
    OPEN_STATES,
    SEVERITIES,
    TITLE_MAX,
    incident_ref,
    printable,
    statement_ref,
)
from commands.errors import CommandError
from commands.forms import FormText
from commands.grammar.command_line import open_request, parse
from commands.grammar.forms import FormAsk, form_for
from commands.grammar.requests import Command, ListIncidents
from commands.grammar.severity import DEFAULT_SEVERITY_WORDS
from commands.grammar.suggest import Topic
from commands.grammar.templates import DEFAULT_TEMPLATES, TEMPLATE_NAMES, Template
from commands.grammar.times import DURATION_HELP, format_time, parse_duration
from commands.grammar.verbs import DEFAULT_RULES, VERBS
from commands.ports import (
    Actor,
    Amendable,
    ChannelPing,
    ChannelRef,
    ChatError,
    ChatPlatform,
    DeliveryFailed,
    Destination,
    Line,
    Link,
    Mention,
    Message,
    MessageRef,
    NewChannel,
    NullTimer,
    Publication,
    Reply,
    Strong,
    render_plain,
    text,
)
from commands.publishing.destinations import (
    KIND_LABELS,
    ChatChannelDestination,
    amended_message,
    key_label,
    publication_message,
)
from commands.publishing.public_facts import public_facts
from commands.record.communication import CommunicationRecord, LateUpdate, PublicRecord
from commands.record.due_windows import DueWindow
from commands.record.loading import load_public_record, load_record
from commands.record.wording import approvals, deliveries, first_update, late, plural, silence, span
from commands.secrets import redact_url, redact_urls

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_SEVERITY",
    "DEFAULT_SEVERITY_WORDS",
    "DEFAULT_TEMPLATES",
    "DURATION_HELP",
    "EMOJI_ALIASES",
    "FIRING",
    "KIND_LABELS",
    "OPEN_STATES",
    "RESOLVED",
    "SEVERITIES",
    "SOURCE_NAMES",
    "TEMPLATE_NAMES",
    "TITLE_MAX",
    "VERBS",
    "Actor",
    "Alert",
    "AlertIntake",
    "AlertMapping",
    "AlertsUnavailable",
    "Amendable",
    "ApprovalPolicy",
    "AuthorityPolicy",
    "CadencePolicy",
    "ChannelPing",
    "ChannelRef",
    "ChatChannelDestination",
    "ChatError",
    "ChatPlatform",
    "ChecklistPhrases",
    "Clock",
    "Command",
    "CommandError",
    "CommunicationRecord",
    "DeliveryFailed",
    "Deps",
    "Desk",
    "Destination",
    "DueWindow",
    "FormAsk",
    "FormText",
    "LateUpdate",
    "Line",
    "Link",
    "ListIncidents",
    "Mention",
    "Message",
    "MessageRef",
    "NewChannel",
    "Notification",
    "NullTimer",
    "PolicyError",
    "PublicRecord",
    "Publication",
    "Reaction",
    "Receipt",
    "Reply",
    "ShiftedClock",
    "Strong",
    "SystemClock",
    "Template",
    "Topic",
    "amended_message",
    "approvals",
    "deliveries",
    "first_update",
    "form_for",
    "format_time",
    "incident_ref",
    "key_label",
    "late",
    "load_public_record",
    "load_record",
    "normalise_emoji",
    "open_request",
    "parse",
    "parse_admins",
    "parse_alert_mapping",
    "parse_approvers",
    "parse_duration",
    "parse_required",
    "parse_rules",
    "plural",
    "printable",
    "public_facts",
    "publication_message",
    "redact_url",
    "redact_urls",
    "render_plain",
    "silence",
    "span",
    "statement_ref",
    "text",
]
