"""`seed_demo --year`: a year of demo data through the services, every workflow state present,
idempotent, and the ledger verifying afterwards (a small year: --scale; bench/seed.py runs
the full one and checks the same)."""

import io

import pytest
from django.core.management import CommandError, call_command

from config.demo_year import EVERY_STATE, counts
from config.demo_year.tour import trail
from core import verification
from federations.models import Region
from funds.models import FundingSource
from ledger.models import Transfer
from ledger.verification import verify_ledger as ledger_check

pytestmark = pytest.mark.sqlite

YEAR = 2026
EVERY = {k: v for k, v in EVERY_STATE.items() if k != "milestones"}  # all: bench/seed.py


def _seed_year():
    err = io.StringIO()
    call_command("seed_demo", "--year", str(YEAR), "--scale", "0.2", stdout=io.StringIO(),
                 stderr=err)  # fmt: skip
    return err.getvalue()


@pytest.mark.timeout(
    900
)  # seeds the demo (when first) and a small year twice: minutes on a busy machine
def test_a_year_has_every_state_is_idempotent_and_verifies(demo, db):
    before = counts()
    progress = _seed_year()
    assert "%|" in progress  # the progress bar, on stderr
    first = counts()
    for label, states in EVERY.items():
        assert states <= set(first["states"][label]), label
    grown = {k for k, v in first["counts"].items() if v > before["counts"][k]}
    assert {"organizations", "projects", "expense_claims", "statements", "donations",
            "receipts", "custodial_accounts", "transfers"} <= grown  # fmt: skip
    assert first["states"]["milestones"].get("paid", 0) > 0

    # The tour's yuan: from the township's welfare subsidy to the supplier of a paid claim.
    path = trail(YEAR, Region.objects.get(name="文汇街道"))
    assert path is not None and path["claim"] is not None
    payout = Transfer.objects.get(pk=path["claim_reservation"])
    assert payout.state == "posted"
    assert payout.from_account_id == path["custodial_ledger_account"]
    assert payout.source_account_id == FundingSource.objects.get(pk=path["source"]).money_tag_id

    _seed_year()
    assert counts() == first  # nothing new the second time

    result = ledger_check(seal=False)
    assert result.status != verification.FAILED and not result.problems
    out = io.StringIO()
    with pytest.raises(CommandError, match="not everything can be checked"):
        call_command("audit_verify", stdout=out, stderr=io.StringIO())
    assert "ledger: OK" in out.getvalue()
    assert "FAILED" not in out.getvalue()
