"""Alert intake over HTTP: Alertmanager, Grafana and generic JSON (issue 17). The
decisions are the core's (commands/alerts); this package reads the bodies, checks the
token and finds where incidents open."""
