"""Integrity checks that apps register, and that the auditors' workbench runs together.

An app with something to verify (the ledger: balances recomputed from transfers, its hash
chain) registers a `Check` from its AppConfig.ready; audit's verification runs every
registered check with the history chain and the backstop, so audit names no other app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str  # the key of its result, e.g. "ledger"
    run: Callable[[str | None], dict]  # (expected head "id:hash" or None) -> {"ok": ..., ...}
    head: Callable[[], str] | None = None  # its current chain head as "id:hash"


_checks: dict[str, Check] = {}


def register(check: Check) -> None:
    _checks[check.name] = check


def checks() -> list[Check]:
    return list(_checks.values())
