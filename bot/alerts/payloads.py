"""The three alert bodies → ``Notification``s (the core's neutral form).

- Alertmanager's webhook, version 4 (``groupKey``, ``alerts[]`` with ``labels``,
  ``annotations``, ``fingerprint``, ``generatorURL``…): one notification per body.
- Grafana's webhook (the same shape, plus ``title``, ``dashboardURL``…): one
  notification per alert rule in it, a rule being its folder and alert name.
- Generic JSON ``{"key", "title", "status", "severity", "component", "description",
  "url"}``: one alert, its own group.

Validation is pydantic's; the first problem becomes the 400's one-line reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from commands import FIRING, Alert, AlertMapping, Notification

M = TypeVar("M", bound=BaseModel)
TEXT = 2000  # longest label or annotation value kept (the body limit bounds the rest)


class PayloadError(ValueError):
    """The body is not what the route takes; the message says why, on one line."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _WebhookAlert(_Model):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    fingerprint: str = ""
    generator_url: str = Field(default="", alias="generatorURL")
    dashboard_url: str = Field(default="", alias="dashboardURL")


class _Webhook(_Model):
    status: Literal["firing", "resolved"]
    group_key: str = Field(default="", alias="groupKey", max_length=2000)
    alerts: list[_WebhookAlert] = Field(min_length=1, max_length=5000)
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")


class _Alertmanager(_Webhook):
    version: str = "4"
    group_key: str = Field(alias="groupKey", min_length=1, max_length=2000)


class _Generic(_Model):
    key: str = Field(min_length=1, max_length=300)
    title: str = Field(min_length=1, max_length=TEXT)
    status: Literal["firing", "resolved"] = "firing"
    severity: str = Field(default="", max_length=40)
    component: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=TEXT)
    url: str = Field(default="", max_length=TEXT)


def _fingerprint(alert: _WebhookAlert) -> str:
    if alert.fingerprint:
        return alert.fingerprint[:64]
    labels = json.dumps(alert.labels, sort_keys=True)
    return hashlib.sha256(labels.encode()).hexdigest()[:16]


def _alert(alert: _WebhookAlert, mapping: AlertMapping) -> Alert:
    return Alert(
        fingerprint=_fingerprint(alert),
        status=alert.status,
        name=alert.labels.get("alertname", "")[:200],
        summary=alert.annotations.get("summary", "")[:TEXT],
        severity=alert.labels.get(mapping.severity_label, "")[:40],
        description=alert.annotations.get("description", "")[:TEXT],
        url=(alert.generator_url or alert.dashboard_url)[:TEXT],
    )


def _group_status(alerts: tuple[Alert, ...]) -> str:
    return FIRING if any(a.firing for a in alerts) else "resolved"


def _validated(model: type[M], body: bytes) -> M:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadError(f"the body is not JSON ({error})") from None
    if not isinstance(data, dict):
        raise PayloadError("the body should be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise PayloadError(f"{where}: {first['msg']}") from None


def alertmanager(body: bytes, mapping: AlertMapping) -> list[Notification]:
    hook = _validated(_Alertmanager, body)
    if hook.version != "4":
        raise PayloadError(f"version {hook.version!r}: Candor reads Alertmanager's version 4")
    alerts = tuple(_alert(a, mapping) for a in hook.alerts)
    title = hook.common_annotations.get("summary", "")[:TEXT]
    return [Notification("alertmanager", hook.group_key, hook.status, alerts, title)]


def _rule(alert: _WebhookAlert) -> str:
    """A Grafana alert rule: its uid when the labels carry it, else folder and name."""
    labels = alert.labels
    uid = labels.get("__alert_rule_uid__")
    return uid or f"{labels.get('grafana_folder', '')}/{labels.get('alertname', '')}"


def grafana(body: bytes, mapping: AlertMapping) -> list[Notification]:
    hook = _validated(_Webhook, body)
    by_rule: dict[str, list[_WebhookAlert]] = {}
    for alert in hook.alerts:
        by_rule.setdefault(_rule(alert), []).append(alert)
    notes = []
    for rule, members in by_rule.items():
        alerts = tuple(_alert(a, mapping) for a in members)
        title = hook.common_annotations.get("summary", "") if len(by_rule) == 1 else ""
        notes.append(Notification("grafana", rule, _group_status(alerts), alerts, title[:TEXT]))
    return notes


def generic(body: bytes, mapping: AlertMapping) -> list[Notification]:
    item = _validated(_Generic, body)
    alert = Alert(
        fingerprint=hashlib.sha256(item.key.encode()).hexdigest()[:16],
        status=item.status,
        name=item.title[:200],
        summary=item.title,
        severity=item.severity,
        description=item.description,
        url=item.url,
    )
    return [Notification("generic", item.key, item.status, (alert,), item.title)]


Reader = Callable[[bytes, AlertMapping], list[Notification]]
READERS: dict[str, Reader] = {"alertmanager": alertmanager, "grafana": grafana, "generic": generic}
