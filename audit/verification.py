"""The workbench's part of verification: the completeness backstop, and the full run.

The backstop (changes captured by the database with no history row) is registered as a
core.verification Check from AuditConfig.ready; `run_verification()` runs everything
(core's chain and triggers, and every check apps registered: this one, the ledger's
balances) and records one core.VerificationRun.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import verification as core_verification
from core.models import VerificationRun

from . import backstop


def check_backstop() -> dict:
    unmatched = backstop.unmatched_changes()
    texts = [
        f"{c['operation']} {c['model']} id={c['object_id']} at {c['captured_at']} by db user "
        f"{c['db_user']} (capture {c['capture_id']})"
        for c in unmatched["changes"]
    ]
    return {
        "status": core_verification.FAILED if unmatched["count"] else core_verification.OK,
        "first_bad": f"changed without history: {texts[0]}" if texts else None,
        **unmatched,
    }


BACKSTOP = core_verification.Check(
    name="backstop",
    label=_("Changes without history"),
    run=check_backstop,
    vendors=("postgresql",),  # the capture triggers exist only there
)


def run_verification(
    *, triggered_by: str, expect_head: str | None = None, store: bool = True
) -> VerificationRun:
    """Everything: the chain, the triggers, the backstop and every registered check."""
    return core_verification.run(triggered_by=triggered_by, expect_head=expect_head, store=store)


def last_run() -> VerificationRun | None:
    return core_verification.last_run()


def check_rows(run: VerificationRun | None) -> list[dict]:
    """Each check of a run with its status, for the admin and the API."""
    rows = []
    results = getattr(run, "result", None) or {}
    for name in getattr(run, "checks", None) or []:  # in the order they ran (jsonb sorts keys)
        part = results.get(name, {})
        status = part.get("status") or core_verification.NOT_CHECKED
        rows.append(
            {
                "name": name,
                "label": core_verification.label(name),
                "status": status,
                "status_display": str(VerificationRun.Status(status).label),
                "first_bad": part.get("first_bad"),
            }
        )
    return rows


def register() -> None:
    core_verification.register(BACKSTOP)
