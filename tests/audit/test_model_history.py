"""Every model of the project's apps keeps history (ledger rows excepted, by name)."""

import pytest
from django.apps import apps
from django.conf import settings

from core.errors import UnauditedWriteError
from federations.models import Region

# Insert-only ledger rows are their own record; named here so nothing slips in silently.
INSERT_ONLY_MODELS: set[str] = {
    # ledger.Transfer: insert-only (DB triggers refuse UPDATE/DELETE/TRUNCATE), its own record.
    "ledger.Transfer",
    # Balance caches: derived data changed by every posting; ledger_verify recomputes them
    # from the transfers instead of a history row per posting (that would halve throughput).
    "ledger.AccountBalance",
    "ledger.SourceBalance",
    # The one hash chain's links and column sets, and every verification run: insert-only
    # (append-only in PostgreSQL, core/triggers.py), checked by verification.
    "core.ChainSeal",
    "core.ChainColumnSet",
    "core.VerificationRun",
    # audit's own insert-only records (append-only in PostgreSQL, core/triggers.py)
    "audit.ChangeCapture",
    "audit.AccessLog",
    # Approval decisions: insert-only (audit_append_only), each its own record.
    "approvals.ApprovalDecision",
    # A payment's split, one row per ledger transfer: insert-only (audit_append_only), written
    # in one statement; the payment's own history names who and why.
    "projects.MilestonePaymentPart",
}


def project_models():
    for app_label in settings.PROJECT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            yield model


def test_every_project_model_has_history():
    missing = [
        model._meta.label
        for model in project_models()
        if model._meta.label not in INSERT_ONLY_MODELS
        and not hasattr(model, "history")
        and not getattr(model._meta, "simple_history_manager_attribute", None)
    ]
    assert missing == [], f"models without simple-history: {missing}"


def test_the_walk_sees_the_models_it_should():
    labels = {m._meta.label for m in project_models()}
    assert {"access.User", "access.RoleAssignment", "federations.Region"} <= labels


@pytest.mark.parametrize(
    "call",
    [
        lambda qs: qs.update(name="x"),
        lambda qs: qs.bulk_update([], ["name"]),
        lambda qs: qs.bulk_create([]),
    ],
    ids=["update", "bulk_update", "bulk_create"],
)
def test_audited_models_refuse_history_skipping_writes(db, call):
    with pytest.raises(UnauditedWriteError, match="绕过变更历史"):
        call(Region.objects.all())


def test_every_audited_model_refuses_queryset_update():
    for model in project_models():
        if model._meta.label in INSERT_ONLY_MODELS:
            continue
        manager = model._default_manager
        with pytest.raises(UnauditedWriteError):
            manager.all().update()
