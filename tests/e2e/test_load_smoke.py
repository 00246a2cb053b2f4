"""A tiny bounded run of bench/load.py's money path against Django's live server (threads,
real commits): one custodial account, claims worth more than it holds approved by two
officers at once, payouts and milestone payment requests retried with the same key, payment
approvals and arrival confirmations raced; then the invariants from the database."""

import pytest

from audit.verification import run_verification
from core.context import acting_as
from ledger.verification import verify_ledger
from tests.e2e import money_load

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def test_the_money_path_under_a_small_load_keeps_every_invariant(live_server):
    with acting_as(username="load-smoke", label="load smoke test"):
        world = money_load.build_world(
            members=1, approved=2, forwarded=3, milestones=2, deposit="3000.00",
            claim_amount="1000.00", officers=2, staff=2,
        )  # fmt: skip
    outcome = money_load.drive(live_server.url, world, seconds=45, max_requests=400, threads=4)
    result = {**outcome.figures(), **money_load.check(world, outcome)}
    result["ledger_verify"] = "ok" if verify_ledger().ok else "failed"
    result["audit_verify"] = "ok" if run_verification(triggered_by="test").ok else "failed"

    assert money_load.failures(result) == [], (result, outcome.unexpected)
    assert result["not_sent"] == 0, result  # the whole run fit in its bounds
    # Both races were real: claims ran out of money, second approvals and other keys refused.
    assert result["refusals"].get("409 already_decided", 0) >= 1, result
    assert result["refusals"].get("409 already_paid", 0) >= 2, result
    # 3,000 in the account, 2,000 reserved before: at most one more claim of 1,000 approved.
    assert result["claims_paid"] == 3, result
    assert result["milestones_paid"] == 2, result
