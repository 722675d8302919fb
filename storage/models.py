"""The tables of an incident desk (DESIGN §3).

Every timestamp is aware UTC (``UTCDateTime``); every column the timer scans
for due work is indexed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

# Naming convention so Alembic migrations get stable constraint names on every dialect.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _ts(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, index=index, nullable=nullable)


class Incident(SQLModel, table=True):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("platform", "workspace_id", "number", name="uq_incidents_number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace_id: str = Field(max_length=64)
    number: int
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=3000)
    severity: str = Field(max_length=8)
    state: str = Field(max_length=16, index=True)
    channel_id: str = Field(max_length=64, index=True)
    channel_name: str = Field(max_length=100)
    summary_message_id: str | None = Field(default=None, max_length=64)
    opened_by: str = Field(max_length=64)
    opened_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    resolved_at: datetime | None = _ts()
    resolution_summary: str | None = Field(default=None, max_length=3000)
    cadence_minutes: int
    last_public_update_at: datetime | None = _ts()
    next_update_due_at: datetime | None = _ts(index=True)
    eta_at: datetime | None = _ts(index=True)
    snoozed_until: datetime | None = _ts()


class RoleAssignment(SQLModel, table=True):
    """Who holds a role; a row with ``ended_at`` set is history."""

    __tablename__ = "role_assignments"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    role: str = Field(max_length=40)
    user_id: str = Field(max_length=64)
    assigned_by: str = Field(max_length=64)
    assigned_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = _ts()


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("incident_id", "number", name="uq_tasks_number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    number: int
    title: str = Field(max_length=300)
    owner_id: str = Field(max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    done_at: datetime | None = _ts()
    done_by: str | None = Field(default=None, max_length=64)


class Statement(SQLModel, table=True):
    """A public statement; its wording lives in ``StatementRevision`` rows."""

    __tablename__ = "statements"
    __table_args__ = (UniqueConstraint("incident_id", "number", name="uq_statements_number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    number: int
    kind: str = Field(max_length=16)
    template: str | None = Field(default=None, max_length=40)
    preapproved: bool = False
    state: str = Field(max_length=16, index=True)
    author_id: str = Field(max_length=64)
    revision: int = 1
    body: str = Field(max_length=4000)
    content_hash: str = Field(max_length=64)
    signer: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    approved_at: datetime | None = _ts()
    published_at: datetime | None = _ts()
    promised_next_update_at: datetime | None = _ts()
    outcome_reported_at: datetime | None = _ts()
    # The incident's facts this statement tells the public (set at approval): the hub, its
    # API and every destination show these, never the incident row's live values.
    public_title: str | None = Field(default=None, max_length=200)
    public_severity: str | None = Field(default=None, max_length=8)
    public_state: str | None = Field(default=None, max_length=16)
    # A correction names the published statement it corrects (kind "correction").
    corrects_id: int | None = Field(default=None, foreign_key="statements.id", index=True)


class StatementRevision(SQLModel, table=True):
    """One wording of a statement, and the chat message that carries it for votes."""

    __tablename__ = "statement_revisions"
    __table_args__ = (
        UniqueConstraint("statement_id", "revision", name="uq_statement_revisions_revision"),
        Index("ix_statement_revisions_message", "channel_id", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statements.id", index=True)
    revision: int
    body: str = Field(max_length=4000)
    content_hash: str = Field(max_length=64)
    edited_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    channel_id: str | None = Field(default=None, max_length=64)
    message_id: str | None = Field(default=None, max_length=64)


class Approval(SQLModel, table=True):
    """A counted vote on one revision; a user votes once per revision."""

    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("statement_id", "revision", "user_id", name="uq_approvals_vote"),
    )

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statements.id", index=True)
    revision: int
    user_id: str = Field(max_length=64)
    decision: str = Field(max_length=8)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Delivery(SQLModel, table=True):
    """Outbox row: one statement to one public destination, sent once."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("statement_id", "destination", name="uq_deliveries_target"),)

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statements.id", index=True)
    destination: str = Field(max_length=300)
    state: str = Field(max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(index=True)
    claimed_at: datetime | None = _ts()
    external_id: str | None = Field(default=None, max_length=200)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = _ts()
    # A correction's delivery: when the corrected statement's own message at this
    # destination was edited to say so (null where it cannot be edited, or not yet).
    amended_at: datetime | None = _ts()


class Reminder(SQLModel, table=True):
    """A timer the scheduler must fire once; the database is its truth."""

    __tablename__ = "reminders"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="tasks.id", index=True)
    kind: str = Field(max_length=16)
    step: int = 0
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    fire_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    fired_at: datetime | None = _ts()
    cancelled_at: datetime | None = _ts()


class TimelineEvent(SQLModel, table=True):
    __tablename__ = "timeline_events"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    actor_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=40)
    text: str = Field(max_length=4000)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ProcessedEvent(SQLModel, table=True):
    """Keys of platform events already handled, so a redelivery has no effect."""

    __tablename__ = "processed_events"

    key: str = Field(primary_key=True, max_length=200)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class Subscriber(SQLModel, table=True):
    """Someone who asked for public updates by email (double opt-in).

    One row per address: ``email_key`` is the address casefolded, so ``Ann@X.org``
    and ``ann@x.org`` are one subscriber; ``email`` keeps it as typed, for sending.
    ``incident_id`` scopes the subscription to one incident; null means every incident.
    Only rows with ``confirmed_at`` set and ``unsubscribed_at`` null receive mail.
    """

    __tablename__ = "subscribers"
    __table_args__ = (UniqueConstraint("email_key", name="uq_subscribers_email_key"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    email_key: str = Field(max_length=254)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    confirmation_sent_at: datetime | None = _ts()
    confirmed_at: datetime | None = _ts()
    unsubscribed_at: datetime | None = _ts()


class EmailSend(SQLModel, table=True):
    """One statement to one subscriber. The row is claimed before the mail is sent and
    marked sent once the server took it: a retried, resumed or concurrent delivery skips
    it (a claim by an earlier attempt, or older than the lease, belonged to a sender that
    died mid-send)."""

    __tablename__ = "email_sends"
    __table_args__ = (
        UniqueConstraint("statement_id", "subscriber_id", name="uq_email_sends_recipient"),
    )

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="statements.id")
    subscriber_id: int = Field(foreign_key="subscribers.id", index=True)
    claimed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # The delivery attempt that claimed it: a later attempt takes over at once (the
    # earlier one's lease lapsed), without waiting for the claim to go stale.
    attempt: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    sent_at: datetime | None = _ts()


class AppSecret(SQLModel, table=True):
    """A secret generated once and kept, e.g. the key that signs subscription links
    when SUBSCRIPTION_SECRET is unset (so links in sent mail survive a restart)."""

    __tablename__ = "app_secrets"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class AlertGroup(SQLModel, table=True):
    """An alert group (Alertmanager's groupKey, a Grafana rule, a generic key) and the
    incident its alerts go to. ``active_key`` is set while that incident is open and is
    unique, so two notifications racing for a new group open one incident, not two."""

    __tablename__ = "alert_groups"
    __table_args__ = (UniqueConstraint("active_key", name="uq_alert_groups_active_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, index=True)  # sha256 of source and group key
    label: str = Field(max_length=200)  # the group as people know it (alertname, rule)
    active_key: str | None = Field(default=None, max_length=64)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    opened_incident: bool = False  # this group's alerts opened its incident
    flooded: bool = False  # attached to another group's incident by the hourly limit
    firing: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notifications: int = 0
    # The last notification taken (commands.alerts.notification.Notification.digest): a
    # retry or a re-send of it changes nothing.
    last_digest: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    resolved_at: datetime | None = _ts()  # every alert of the group resolved
