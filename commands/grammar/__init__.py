"""What people type: the verb table, the parser, typed requests, times, templates, suggestions."""
