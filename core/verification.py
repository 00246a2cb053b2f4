"""One integrity verification: the hash chain, the triggers, and every check apps register.

An app with something to verify (the ledger: balances recomputed from its transfers; the
auditors' workbench: changes without history) registers a `Check` from its
AppConfig.ready. `run()` seals the chain (a full pass), verifies it, checks that every
wanted trigger exists and is enabled, runs the registered checks and records one
core.VerificationRun, so no app names another:

    verification.register(Check("ledger", _("Ledger balances"), run=check_balances))

Every check answers a status: "ok", "failed" (naming its first bad row), or "not_checked"
when this database cannot check it (the chain and the triggers need PostgreSQL: on the
SQLite demo they answer "not checked on this database", never "ok" having checked nothing).
A run is ok only when every check ran and passed; failed when any failed; otherwise not
checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import chain, triggers
from .context import current_actor
from .models import VerificationRun

OK = VerificationRun.Status.OK.value
FAILED = VerificationRun.Status.FAILED.value
NOT_CHECKED = VerificationRun.Status.NOT_CHECKED.value
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class Check:
    name: str  # the key of its result, e.g. "ledger"
    label: str  # what it checks, for people
    run: Callable[[], dict]  # -> {"status": ..., "first_bad": str | None, "problems": [...]}
    vendors: tuple[str, ...] = ()  # the databases it can check (() = any); elsewhere not checked


_checks: dict[str, Check] = {}


def register(check: Check) -> None:
    _checks[check.name] = check


def checks() -> list[Check]:
    return list(_checks.values())


def not_checked() -> dict:
    """The answer of a check this database cannot run."""
    return {
        "status": NOT_CHECKED,
        "database": connection.vendor,
        "first_bad": None,
        "problems": [],
    }


def _problem_text(problem) -> str:
    return problem.get("text", str(problem)) if isinstance(problem, dict) else str(problem)


def _chain_result(*, expect_head: str | None, models, seal: bool) -> dict:
    if not chain.available():
        return {**not_checked(), "head": chain.head().as_dict(), "rows_checked": 0}
    sealed = chain.seal(full=True, models=models) if seal else 0
    outcome = chain.verify(expect=expect_head, models=models)
    return {
        **outcome.as_dict(),
        "status": OK if outcome.ok else FAILED,
        "sealed_now": sealed,
        "first_bad": _problem_text(outcome.first_bad) if outcome.first_bad else None,
    }


def _trigger_result() -> dict:
    if connection.vendor != "postgresql":
        return not_checked()
    found = triggers.problems()
    texts = [f"{p['trigger']}: trigger {p['kind']}" for p in found]
    return {
        "status": FAILED if found else OK,
        "checked": len(triggers.wanted_triggers()),
        "first_bad": texts[0] if texts else None,
        "problems": texts[:MAX_PROBLEMS],
    }


CHAIN = "chain"
TRIGGERS = "triggers"
LABELS = {CHAIN: _("Hash chain"), TRIGGERS: _("Database triggers")}


def run(
    *,
    triggered_by: str | None = None,
    expect_head: str | None = None,
    names: list[str] | None = None,
    chain_models=None,
    seal: bool = True,
    store: bool = True,
) -> VerificationRun:
    """Run the chain check, the trigger check and the registered checks (or those `names`
    lists); record the run unless `store` is false. `expect_head` ("seq:hash") must still be
    in the chain; `chain_models` limits the recomputed digests to some chained tables."""
    started = timezone.now()
    wanted = names or [CHAIN, TRIGGERS, *_checks]
    results: dict[str, dict] = {}
    for name in wanted:
        if name == CHAIN:
            results[name] = _chain_result(expect_head=expect_head, models=chain_models, seal=seal)
        elif name == TRIGGERS:
            results[name] = _trigger_result()
        else:
            check = _checks[name]
            if check.vendors and connection.vendor not in check.vendors:
                results[name] = not_checked()
            else:
                results[name] = check.run()
    statuses = [r["status"] for r in results.values()]
    status = FAILED if FAILED in statuses else NOT_CHECKED if NOT_CHECKED in statuses else OK
    first_bad = next(
        (f"{name}: {r['first_bad']}" for name, r in results.items() if r.get("first_bad")), ""
    )
    head = chain.head()
    actor = current_actor()
    record = VerificationRun(
        started_at=started,
        finished_at=timezone.now(),
        status=status,
        checks=list(results),
        triggered_by=(triggered_by or (actor.label or actor.username if actor else "") or "")[:150],
        head_seal_id=head.seq,
        head_hash=head.hash,
        rows_checked=results.get(CHAIN, {}).get("rows_checked", 0),
        first_bad=first_bad,
        result=results,
    )
    if store:
        with transaction.atomic():
            record.save()
    return record


def last_run() -> VerificationRun | None:
    return VerificationRun.objects.order_by("-id").first()


def label(name: str) -> str:
    if name in LABELS:
        return str(LABELS[name])
    check = _checks.get(name)
    return str(check.label) if check else name
