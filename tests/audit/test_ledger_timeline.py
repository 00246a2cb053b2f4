"""Ledger transfers appear in the auditors' timeline; audit_verify includes the ledger."""

import pytest

from audit.verification import run_verification

ledger_factories = pytest.importorskip("tests.ledger.factories")

URL = "/api/v1/audit/history/"


def test_transfers_are_in_the_timeline_in_scope(client_for, users, regions):
    src, _outside = ledger_factories.funded_source("500.00", region=regions["town_a"])
    results = client_for(users["admin"]).get(URL, {"model": "ledger.transfer"}).json()["results"]
    assert len(results) == 1
    transfer = results[0]
    assert transfer["kind"] == "transfer" and transfer["action"] == "transfer"
    assert {c["field"]: c["new"] for c in transfer["changes"]}["amount"] == "500.00"
    # In the mixed timeline too, next to the account's creation.
    mixed = client_for(users["auditor"]).get(URL, {"region": regions["town_a"].pk}).json()
    kinds = {(r["model"], r["action"]) for r in mixed["results"]}
    assert ("ledger.transfer", "transfer") in kinds
    assert ("ledger.account", "create") in kinds
    # Town b's auditor sees neither.
    other = client_for(users["auditor_town_b"]).get(URL, {"model": "ledger.transfer"}).json()
    assert other["results"] == []


def test_verification_includes_the_ledger(regions):
    ledger_factories.funded_source("100.00", region=regions["town_a"])
    run = run_verification(triggered_by="test")
    assert run.ok, run.result
    assert run.result["ledger"]["status"] == "ok"
    assert run.result["ledger"]["counts"]["transfers"] == 1
    # the transfer is a link of the one chain, next to the history rows
    assert run.result["chain"]["counts"]["ledger_transfer.created"] == 1
    assert run.head_hash and run.head_seal_id
