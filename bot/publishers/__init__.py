"""Publishers that are not chat platforms: email (and, alongside, webhooks)."""
