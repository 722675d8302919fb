"""The communication record of an incident, its words, and the postmortem drafted from it."""
