"""Who may run each verb, and the check every command passes before its handler."""
