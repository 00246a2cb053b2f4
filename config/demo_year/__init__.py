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
from django.db.models import Count
from django.utils import translation
from tqdm import tqdm

from access.models import User
from escrow.models import CustodialAccount, Deposit, ExpenseClaim, Statement
from federations.models import Membership, Organization
from funds.campaigns.models import Campaign, Donation, Receipt
from funds.models import Budget, BudgetLine, FundingSource
from ledger.models import Transfer
from projects.models import Allocation, Contract, Evaluation, Milestone, Project

from . import campaigns, escrow, funds, organizations, projects, tour
from .common import Year

MODELS = {
    "organizations": Organization, "memberships": Membership, "users": User,
    "funding_sources": FundingSource, "budgets": Budget, "budget_lines": BudgetLine,
    "projects": Project, "allocations": Allocation, "contracts": Contract,
    "milestones": Milestone, "evaluations": Evaluation, "custodial_accounts": CustodialAccount,
    "deposits": Deposit, "expense_claims": ExpenseClaim, "statements": Statement,
    "campaigns": Campaign, "donations": Donation, "receipts": Receipt, "transfers": Transfer,
}  # fmt: skip
# The states a full year holds of each workflow (the test checks those of a small year, bar
# the milestones', bench/seed.py all of them on the full one).
EVERY_STATE = {
    "projects": {"draft", "submitted", "approved", "contracted", "in_progress", "delivered",
                 "accepted", "closed", "cancelled", "terminated"},
    "expense_claims": {"draft", "submitted", "approved", "paid", "returned", "rejected",
                       "withdrawn"},
    "milestones": {"planned", "accepted", "payment_submitted", "paid"},
    "allocations": {"reserved", "committed", "released", "closed"},
    "deposits": {"receivable", "confirmed"},
    "campaigns": {"draft", "submitted", "approved", "open", "succeeded", "failed", "cancelled"},
}  # fmt: skip
STATEFUL = {
    "projects": Project, "allocations": Allocation, "milestones": Milestone,
    "expense_claims": ExpenseClaim, "deposits": Deposit, "campaigns": Campaign,
}  # fmt: skip

PARTS = (
    ("organizations", organizations.build),
    ("funds", funds.build),
    ("custodial accounts", escrow.open_accounts),
    ("projects", projects.build),
    ("expense claims", escrow.claims),
    ("the tour's yuan", tour.build),
    ("statements", escrow.monthly_statements),
    ("campaigns", campaigns.build),
)


def build(*, year: int, places: dict, scale: float = 1.0, progress=sys.stderr) -> dict:
    """Build the year on top of the plain demo; returns what each part added. `progress`:
    the stream its progress bar is drawn on (None: no bar)."""
    built = Year(year, scale)
    added = {}
    total = 4 + escrow.steps(built) + projects.steps(built) + campaigns.steps(built)
    with (
        translation.override(settings.LANGUAGE_CODE),
        tqdm(total=total, file=progress, disable=progress is None, desc=str(year)) as bar,
    ):
        for name, part in PARTS:
            bar.set_postfix_str(name)
            added[name] = part(built, bar, places)
    return added


def counts() -> dict:
    """What the demo holds, and the states present of each workflow (the test and the
    benchmark compare runs with it)."""
    tallies = {}
    for label, model in MODELS.items():
        tallies[label] = model.objects.count()
    states = {}
    for label, model in STATEFUL.items():
        states[label] = dict(
            model.objects.values_list("state").annotate(n=Count("id")).order_by("state")
        )
    return {"counts": tallies, "states": states}
