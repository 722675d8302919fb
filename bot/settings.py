"""Settings from the environment or ``.env`` (DESIGN §4). Secrets are SecretStr: never logged."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.alerts.paths import ALERT_PATHS
from bot.connections import ConnectionLimits, parse_networks
from commands import ApprovalPolicy, AuthorityPolicy, parse_admins, parse_approvers, parse_required
from storage.database_url import check_database_url


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    database_url: str = "sqlite+aiosqlite:///./candor.db"
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    discord_bot_token: SecretStr | None = None
    discord_guild_id: int | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=3000, ge=0, le=65535)
    # The internal listener: /metrics and detailed health (never expose it publicly).
    admin_http_host: str = "127.0.0.1"
    admin_http_port: int = Field(default=9090, ge=0, le=65535)
    # Connection limits of that server (bot/connections.py): past a cap a fast 503.
    http_max_connections: int = Field(default=512, ge=8)
    http_max_connections_per_client: int = Field(default=64, ge=1)
    # Seconds to send a request head, to send its body, and to idle between requests.
    http_header_timeout: float = Field(default=5.0, gt=0, le=300)
    http_body_timeout: float = Field(default=10.0, gt=0, le=300)
    http_keepalive_timeout: float = Field(default=15.0, gt=0, le=3600)
    http_max_body: int = Field(default=1024 * 1024, ge=1024)  # bytes; larger gets 413
    # Proxies (addresses or CIDRs, comma list) whose X-Forwarded-For names the client.
    trusted_proxies: str = ""
    public_url: str | None = None
    public_destinations: str = ""
    incidents_feed: str = ""
    approvers: str = ""
    admins: str = ""
    approvals_required: str = "sev1:2,sev2:1,sev3:1,sev4:1"
    approval_author_counts: bool = False
    approve_emoji: str = "white_check_mark"
    reject_emoji: str = "x"
    webhook_secret: SecretStr | None = None
    webhook_timeout: float = Field(default=15.0, gt=0, le=300)  # seconds, one attempt
    smtp_url: SecretStr | None = None
    email_from: str | None = None
    # Email to subscribers goes out over this many SMTP connections at once (each sends
    # several mails); one mail gets this many seconds before its connection is given up.
    smtp_connections: int = Field(default=4, ge=1, le=64)
    smtp_timeout: float = Field(default=30.0, gt=0, le=600)
    # Signs subscription confirm/unsubscribe links; generated and kept in the database if unset.
    subscription_secret: SecretStr | None = None
    # Confirmation mails the subscribe form may send: per client address a minute, per
    # mailbox (a+tag@x is a@x) an hour, and from everyone a minute. Counted per process.
    subscribe_per_client_per_minute: int = Field(default=5, ge=1)
    subscribe_per_mailbox_per_hour: int = Field(default=3, ge=1)
    subscribe_per_minute: int = Field(default=60, ge=1)
    # Addresses never confirmed are forgotten (and their links stop working) after this.
    subscribe_unconfirmed_hours: int = Field(default=48, ge=1)
    candor_config: Path | None = None
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per line
    # How this process is named among replicas (logs, /healthz, pg_stat_activity).
    replica_name: str | None = Field(default=None, max_length=40)
    # How old a kept rendering of the status hub may get before it is redone in the
    # background (relative times, "overdue"); also its public max-age.
    hub_refresh_seconds: float = Field(default=15.0, ge=1.0, le=3600.0)
    # The status page's name: its header, titles and feed.
    page_name: str = Field(default="Service status", min_length=1, max_length=80)
    # Alert intake (bot/alerts): the bearer token (unset: the routes answer 404), the
    # largest body they take, and how many incidents alerts may open an hour.
    alerts_token: SecretStr | None = None
    alerts_max_body: int = Field(default=4 * 1024 * 1024, ge=1024)
    alerts_max_incidents_per_hour: int = Field(default=10, ge=1)

    @field_validator("database_url")
    @classmethod
    def _database_url_usable(cls, value: str) -> str:
        return check_database_url(value)  # the wrong driver stops the start, with the URL to use

    @field_validator("log_level")
    @classmethod
    def _log_level_known(cls, value: str) -> str:
        if value.strip().upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"{value!r} is not a level: use DEBUG, INFO, WARNING or ERROR")
        return value.strip().upper()

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(split_list(value))  # a bad entry stops the start, named
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def connection_limits(self) -> ConnectionLimits:
        return ConnectionLimits(
            max_connections=self.http_max_connections,
            max_per_client=self.http_max_connections_per_client,
            header_timeout=self.http_header_timeout,
            body_timeout=self.http_body_timeout,
            keepalive_timeout=self.http_keepalive_timeout,
            max_body=self.http_max_body,
            trusted_proxies=parse_networks(split_list(self.trusted_proxies)),
            body_limits=tuple((path, self.alerts_max_body) for path in ALERT_PATHS),
        )

    @field_validator("approvers", "admins", "approvals_required")
    @classmethod
    def _policy_parses(cls, value: str, info: object) -> str:
        # Fail at start with the bad entry named, not at the first vote.
        name = getattr(info, "field_name", "")
        if name == "approvers":
            parse_approvers(split_list(value))
        elif name == "admins":
            parse_admins(parse_approvers(split_list(value), setting="ADMINS"))
        else:
            parse_required(value)
        return value

    def authority_policy(self, rules: Mapping[str, tuple[str, ...]]) -> AuthorityPolicy:
        admins = parse_admins(parse_approvers(split_list(self.admins), setting="ADMINS"))
        return AuthorityPolicy(rules=rules, admins=admins)

    def approval_policy(self) -> ApprovalPolicy:
        approvers = parse_approvers(split_list(self.approvers))
        default = ApprovalPolicy()
        return ApprovalPolicy(
            approvers=approvers or default.approvers,
            required=parse_required(self.approvals_required),
            author_counts=self.approval_author_counts,
            approve_emoji=self.approve_emoji.strip(":"),
            reject_emoji=self.reject_emoji.strip(":"),
        )

    @property
    def hub_base_url(self) -> str:
        """Where the public status hub is reached: PUBLIC_URL, else this server's address."""
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def destinations(self) -> list[str]:
        return split_list(self.public_destinations)

    @property
    def feeds(self) -> dict[str, str]:
        """``slack:C0456`` → {"slack": "C0456"} (one feed per platform)."""
        feeds = {}
        for entry in split_list(self.incidents_feed):
            platform, _, channel = entry.partition(":")
            if channel:
                feeds[platform.lower()] = channel
        return feeds

    @property
    def replica(self) -> str:
        """REPLICA_NAME, else host and process id: unique among the replicas of a database."""
        return self.replica_name or f"{socket.gethostname()[:24]}-{os.getpid()}"

    @property
    def has_slack(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def has_discord(self) -> bool:
        return self.discord_bot_token is not None
