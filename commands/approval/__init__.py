"""Votes on drafts and what must be true before one counts: policy, guards, quorum, checklist."""
