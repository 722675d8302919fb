"""Settings from the environment or ``.env`` (DESIGN §4). Secrets are SecretStr: never logged."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from commands.authority import AuthorityPolicy, parse_admins
from commands.policy import ApprovalPolicy, parse_approvers, parse_required


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
    smtp_url: SecretStr | None = None
    email_from: str | None = None
    # Signs subscription confirm/unsubscribe links; generated and kept in the database if unset.
    subscription_secret: SecretStr | None = None
    candor_config: Path | None = None
    log_level: str = "INFO"
    # How this process is named among replicas (logs, /healthz, pg_stat_activity).
    replica_name: str | None = Field(default=None, max_length=40)

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
