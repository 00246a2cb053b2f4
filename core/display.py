"""What a person reads for a value in the change history: a choice's label, the related
object's name, yes/no, money as ¥1,234.50, a local time; in the active language.

`label_changes` adds `old_display` / `new_display` next to the raw `old` / `new` of each
change (the API keeps both; pages and exports show the display). Related names are read
in one query per related model for a whole page of entries."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .money import is_money_field, yuan

# How one version differs from the one before, as people read it: (historical model, new
# record, old record or None) -> [{"label", "old_display", "new_display", ...}]. The audit
# app registers its timeline's difference from AuditConfig.ready, so the per-object history
# page of the admin (core.admin.AuditedAdmin) and the auditors' timeline show the same.
_history_diff = None


def register_history_diff(function) -> None:
    global _history_diff
    _history_diff = function


def history_diff():
    return _history_diff


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _is_related_id(field, value) -> bool:
    return (
        field is not None
        and field.is_relation
        and field.many_to_one
        and (isinstance(value, int) or (isinstance(value, str) and value.isdigit()))
    )


def _related_names(pairs) -> dict:
    """{(related model, pk): name} for every (field, value) that names a related row."""
    wanted: dict = {}
    for field, value in pairs:
        if _is_related_id(field, value):
            wanted.setdefault(field.related_model, set()).add(int(value))
    names = {}
    for model, ids in wanted.items():
        manager = model._base_manager
        related = [f.name for f in model._meta.concrete_fields if f.many_to_one]
        for obj in manager.filter(pk__in=ids).select_related(*related[:3]):
            names[(model, obj.pk)] = str(obj)
    return names


def display(field, value, names: dict | None = None):
    """The text shown for one stored value (None stays None: shown as ∅)."""
    if value is None or field is None:
        return value if not isinstance(value, (dict, list)) else json.dumps(value)
    if _is_related_id(field, value):
        return (names or {}).get((field.related_model, int(value)), f"#{value}")
    choices = getattr(field, "flatchoices", None)
    if choices:
        labels = {str(k): v for k, v in choices}
        if str(value) in labels:
            return str(labels[str(value)])
    if isinstance(value, bool) or isinstance(field, models.BooleanField):
        return _("yes") if value in (True, "True", "true", 1) else _("no")
    if is_money_field(field):
        return yuan(value)
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is not None:
            if timezone.is_aware(parsed):
                parsed = timezone.localtime(parsed)
            return parsed.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dict, list)):
        # A model may say how people read one of its structured values (`history_display`).
        model = getattr(field.model, "instance_type", None) or field.model
        hook = getattr(model, "history_display", {}).get(field.name)
        return hook(value) if hook else json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def label_changes(entries: list[dict], model_by_key) -> list[dict]:
    """Adds old_display / new_display to every change of every entry, in place."""
    pairs, located = [], []
    for entry in entries:
        model = model_by_key(entry["model"])
        for change in entry["changes"]:
            field = _field(model, change["field"]) if model is not None else None
            located.append((field, change))
            pairs += [(field, change["old"]), (field, change["new"])]
    names = _related_names(pairs)
    for field, change in located:
        change["old_display"] = display(field, change["old"], names)
        change["new_display"] = display(field, change["new"], names)
    return entries


def label_model_changes(model, changes: list[dict]) -> list[dict]:
    """label_changes for the changes of one object of `model`."""
    label_changes([{"model": model, "changes": changes}], lambda m: m)
    return changes
