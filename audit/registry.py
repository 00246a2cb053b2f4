"""What the audit machinery covers, discovered at run time from the apps registry.

Nothing here is a hand-kept list of tables: every simple-history historical model is
found by its base class, every audited model through its historical model, and a model
says how to reach its region with an `audit_region_lookup` attribute (or the defaults
below, for models whose apps predate the attribute). New models are covered as soon as
they are installed.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

# Region lookups for models that do not declare `audit_region_lookup` themselves:
# a lookup (or a tuple of lookups, any of which may match) from the model to a
# federations.Region ("self" for Region itself).
_OWNER = ("region", "federation__township", "organization__community")
DEFAULT_REGION_LOOKUPS: dict[str, str | tuple[str, ...]] = {
    "federations.Region": "self",
    "federations.Organization": "community",
    "federations.Federation": "township",
    "federations.FederationStaff": "federation__township",
    "federations.Membership": "federation__township",
    "federations.OrganizationCategory": "organization__community",
    "access.RoleAssignment": _OWNER,
    "ledger.Account": _OWNER,
}

# Columns whose changes are not history (for example balances cached on a ledger
# account and moved by a guarded UPDATE): an UPDATE touching only these is not
# captured by the completeness backstop. A model may also declare
# `audit_backstop_ignored_fields = [...]` (field names).
BACKSTOP_IGNORED_FIELDS: dict[str, list[str]] = {}

# Tables that are insert-only by design and get the append-only triggers besides the
# historical tables: models declaring `audit_append_only = True`, and these labels
# (for apps that do not declare it). The ledger's insert-only tables (transfers, chain
# seals, verification runs) carry the ledger's own triggers (ledger migration 0002);
# tests/audit/test_triggers.py proves their refusals with the rest.
APPEND_ONLY_LABELS: set[str] = set()


def historical_models() -> list[type[models.Model]]:
    """Every simple-history historical model (including m2m history), sorted by table."""
    from simple_history.models import HistoricalChanges

    found = [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]
    return sorted(found, key=lambda m: m._meta.db_table)


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
    if declared is None:
        declared = DEFAULT_REGION_LOOKUPS.get(model._meta.label)
    if not declared:
        return ()
    return (declared,) if isinstance(declared, str) else tuple(declared)


def backstop_ignored_columns(model: type[models.Model]) -> list[str]:
    names = list(getattr(model, "audit_backstop_ignored_fields", []) or [])
    names += BACKSTOP_IGNORED_FIELDS.get(model._meta.label, [])
    columns = []
    for name in names:
        columns.append(model._meta.get_field(name).column)
    return sorted(set(columns))


def append_only_models() -> list[type[models.Model]]:
    """Historical models, plus insert-only tables (own and declared)."""
    found = list(historical_models())
    for model in apps.get_models():
        if model in found:
            continue
        if getattr(model, "audit_append_only", False) or model._meta.label in APPEND_ONLY_LABELS:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.db_table)


def _has_field(model, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001
        return False
    return True
