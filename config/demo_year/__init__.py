"""A realistic year for the demo regions (`manage.py seed_demo --year 2026`).

Built on top of the plain demo, through the apps' services, so the ledger, the history and
the hash chain are genuine: about a thousand organizations, sources of every kind with
approved budgets in every township, dozens of projects in every lifecycle state, custodial
accounts with deposits, expense claims in every state and monthly statements, campaigns and
donations with receipts. Deterministic (a random source per part, seeded by the year) and
idempotent (each part skips what is already there)."""

from __future__ import annotations

import sys

from django.conf import settings
from django.utils import translation
from tqdm import tqdm

from . import campaigns, escrow, funds, organizations, projects
from .common import Year

PARTS = (
    ("organizations", organizations.build),
    ("funds", funds.build),
    ("custodial accounts", escrow.open_accounts),
    ("projects", projects.build),
    ("expense claims and statements", escrow.claims),
    ("campaigns", campaigns.build),
)


def build(*, year: int, places: dict, scale: float = 1.0, progress: bool = True) -> dict:
    """Build the year on top of the plain demo; returns what each part added."""
    built = Year(year, scale)
    added = {}
    total = 4 + escrow.steps(built) + projects.steps(built) + campaigns.steps(built)
    with (
        translation.override(settings.LANGUAGE_CODE),
        tqdm(total=total, file=sys.stderr, disable=not progress, desc=str(year)) as bar,
    ):
        for name, part in PARTS:
            bar.set_postfix_str(name)
            added[name] = part(built, bar, places)
    return added
