"""The alert routes (DESIGN §4): their own body limit (ALERTS_MAX_BODY) applies there."""

ALERTMANAGER_PATH = "/alerts/alertmanager"
GRAFANA_PATH = "/alerts/grafana"
GENERIC_PATH = "/alerts/generic"
ALERT_PATHS = (ALERTMANAGER_PATH, GRAFANA_PATH, GENERIC_PATH)
