"""User-facing errors. Each message says what went wrong and how to fix it."""

from __future__ import annotations


class CommandError(Exception):
    """A problem with what the user asked; shown to them (ephemeral), never logged as a crash."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class UsageError(CommandError):
    """The text does not match the grammar; the hint is the verb's usage line."""


class NotFound(CommandError):
    """The incident, task or statement named does not exist."""


class NotAllowed(CommandError):
    """The actor may not do this (not an approver, not the owner...)."""


class InvalidTransition(CommandError):
    """The thing exists but is in a state where this makes no sense."""


class DuplicateEvent(CommandError):
    """The platform delivered the same event twice; the second has no effect."""
