"""Slack: slash commands, modals, reactions and publishing, on slack_bolt's AsyncApp."""
