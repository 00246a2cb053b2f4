"""The kernel and the ledger reference no domain table, in their models or their migrations.

Their scope is data the domain gives them (region paths, ids), never a foreign key into
`federations` or any app above: a relation may point only into core, ledger, or at the
user model.
"""

from django.apps import apps
from django.conf import settings
from django.db.migrations.loader import MigrationLoader

KERNEL = ("core", "ledger")


def _allowed(model) -> bool:
    label = model if isinstance(model, str) else model._meta.label
    if label.lower() == settings.AUTH_USER_MODEL.lower() or label == "__setting__":
        return True
    return label.split(".")[0] in KERNEL


def test_every_relation_of_core_and_ledger_models_stays_inside():
    outside = []
    for app in KERNEL:
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            for field in model._meta.get_fields(include_hidden=True):
                if not field.is_relation or field.related_model is None:
                    continue
                if field.auto_created and not field.concrete:
                    continue  # a reverse accessor: another model points at this one
                if not _allowed(field.related_model):
                    outside.append(f"{model._meta.label}.{field.name} -> {field.related_model}")
    assert outside == []
    # The walk saw something: the ledger's relations (and its history's user) are there.
    assert apps.get_model("ledger", "Transfer")._meta.get_field("from_account").is_relation


def test_core_and_ledger_migrations_depend_on_and_point_at_nothing_outside():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    user_app = settings.AUTH_USER_MODEL.split(".")[0]
    outside = []
    for (app, name), migration in loader.disk_migrations.items():
        if app not in KERNEL:
            continue
        for dep_app, _dep in migration.dependencies:
            if dep_app not in (*KERNEL, user_app, "__setting__"):
                outside.append(f"{app}.{name} depends on {dep_app}")
        for operation in migration.operations:
            fields = list(getattr(operation, "fields", []) or [])
            if getattr(operation, "field", None) is not None:
                fields.append((operation.name, operation.field))
            for field_name, field in fields:
                remote = getattr(field, "remote_field", None)
                target = getattr(remote, "model", None) if remote else None
                if target is None:
                    continue
                label = target if isinstance(target, str) else target._meta.label
                if not _allowed(label) and label != "self":
                    outside.append(f"{app}.{name}: {field_name} -> {label}")
    assert outside == []
