"""What the audit machinery covers, discovered at run time from the apps registry.

Nothing here names another app: every simple-history historical model is found by its
base class, every audited model through its historical model, and a model declares on
itself how to reach its region (`audit_region_lookup`: a lookup or a tuple of lookups to a
Region, "self" for Region; or `audit_region_path`: a column, or tuple of columns, holding a
region's materialized path, for a model that keeps its region as data rather than as a
foreign key), which columns are not history (`audit_backstop_ignored_fields`)
and that it is insert-only (`audit_append_only = True`). New models and apps are covered as
soon as they are installed; nothing in audit/ is edited for them.
"""

from __future__ import annotations

from django.db import models

from core import audited, triggers


def historical_models() -> list[type[models.Model]]:
    """Every simple-history historical model (including m2m history), sorted by table."""
    return audited.historical_models()


def timeline_models() -> list[type[models.Model]]:
    """Historical models of whole objects (those with history_date and history_type)."""
    return [m for m in historical_models() if _has_field(m, "history_date")]


def audited_models() -> list[type[models.Model]]:
    """Every model that keeps history: the instance type of each historical model."""
    return [m.instance_type for m in timeline_models()]


def history_model_for(model: type[models.Model]) -> type[models.Model] | None:
    for hist in timeline_models():
        if hist.instance_type is model:
            return hist
    return None


def model_key(model: type[models.Model]) -> str:
    """The API's name for an audited model: "app_label.model_name" (lower case)."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


def audited_model_by_key(key: str) -> type[models.Model] | None:
    key = (key or "").strip().lower()
    for model in audited_models():
        if model_key(model) == key:
            return model
    return None


def region_lookups(model: type[models.Model]) -> tuple[str, ...]:
    """The lookups from `model` (and its historical rows) to a Region; () when none."""
    declared = getattr(model, "audit_region_lookup", None)
    if not declared:
        return ()
    return (declared,) if isinstance(declared, str) else tuple(declared)


def region_path_lookups(model: type[models.Model]) -> tuple[str, ...]:
    """Lookups from `model` (and its historical rows) to a region path string: each region
    lookup followed to the region's `path`, then each declared path column; () when none.
    A row is in a region's subtree when one of them starts with that region's path."""
    paths = tuple(
        "path" if lookup == "self" else f"{lookup}__path" for lookup in region_lookups(model)
    )
    declared = getattr(model, "audit_region_path", None) or ()
    return paths + ((declared,) if isinstance(declared, str) else tuple(declared))


def backstop_ignored_columns(model: type[models.Model]) -> list[str]:
    names = list(getattr(model, "audit_backstop_ignored_fields", []) or [])
    columns = []
    for name in names:
        columns.append(model._meta.get_field(name).column)
    return sorted(set(columns))


def append_only_models() -> list[type[models.Model]]:
    """Historical models, plus insert-only tables (declared: core/triggers.py)."""
    return triggers.append_only_models()


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001
        return False
    return True
