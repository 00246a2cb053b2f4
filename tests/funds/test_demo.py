"""The demo funds load twice without moving money twice; the ledger verifies."""

import io

from django.core.management import call_command

from core.context import COMMAND_USERNAME, acting_as
from federations.models import Region
from funds import demo
from funds.models import Budget, BudgetAdjustment, CarryForward, FundingSource, SourceKind
from funds.reports import execution_facts
from ledger.models import SourceBalance, Transfer
from ledger.verification import verify_ledger


def test_seed_demo_funds_idempotent_every_kind_every_township(db):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (FundingSource.objects.count(), Budget.objects.count(), Transfer.objects.count(),
              BudgetAdjustment.objects.count())  # fmt: skip
    places = {"city": Region.objects.get(level="city")}
    with acting_as(username=COMMAND_USERNAME, label="command:test"):
        logins = demo.load(places, password="x")
    assert logins == [("财务审批员", "finance.city", "东营市")]
    assert counts == (FundingSource.objects.count(), Budget.objects.count(),
                      Transfer.objects.count(), BudgetAdjustment.objects.count())  # fmt: skip
    assert set(FundingSource.objects.values_list("kind", flat=True)) == set(SourceKind.values)
    townships = Region.objects.filter(level="township")
    budgeted = set(Budget.objects.filter(fiscal_year__year=2026, state="approved")
                   .values_list("region", flat=True))  # fmt: skip
    assert set(townships.values_list("pk", flat=True)) <= budgeted
    assert set(BudgetAdjustment.objects.values_list("state", flat=True)) == {
        "approved",
        "submitted",
    }
    assert CarryForward.objects.filter(state="approved").count() == 7
    assert BudgetAdjustment.objects.filter(state="submitted").exists()
    city = Region.objects.get(level="city")
    for fact in execution_facts(city, 2026):
        if fact.line_id is None:
            share = SourceBalance.objects.get(
                account_id=fact.source.account_id, source_account_id=fact.source.money_tag_id
            )
            assert fact.figures["available"] == share.posted - share.pending
    assert verify_ledger().ok
