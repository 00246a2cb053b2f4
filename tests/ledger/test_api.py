"""/api/v1/ledger/: read-only, scoped, cursor-paginated, filtered, few queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ledger import services

from .factories import account, key, move, system, treasury

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(regions):
    src = account("funding_source", region=regions["town_a"], name="文汇街道社区公益事业补助资金")
    outside = treasury()
    other_src = account("funding_source", region=regions["town_b"])
    custody = account("custodial", region=regions["town_a"], federation=regions["federation_a"])
    org_project = account("commitment", region=regions["comm_a1"], organization=regions["org_a"])
    funding = move(outside, src, "1000.00", src, kind="funding")
    move(outside, other_src, "500.00", other_src, kind="funding")
    allocation = move(src, org_project, "300.00", src, kind="allocation")
    deposit = move(src, custody, "200.00", src, kind="deposit")
    pending = services.reserve(
        actor=system(), from_account=src, to_account=org_project, amount="50.00",
        source_account=src, kind="allocation", idempotency_key=key(),
    )  # fmt: skip
    return {
        "src": src,
        "outside": outside,
        "other_src": other_src,
        "custody": custody,
        "org_project": org_project,
        "funding": funding,
        "allocation": allocation,
        "deposit": deposit,
        "pending": pending,
    }


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


ACCOUNTS = "/api/v1/ledger/accounts/"
TRANSFERS = "/api/v1/ledger/transfers/"


def test_accounts_are_scoped_per_role(users, ledger, client_for):
    L = ledger
    all_with_region = {L[k].pk for k in ("src", "other_src", "custody", "org_project")}
    expected = {
        "admin": all_with_region | {L["outside"].pk},
        "auditor": all_with_region,
        "finance_town": {L["src"].pk, L["custody"].pk, L["org_project"].pk},
        "auditor_town_b": {L["other_src"].pk},
        "federation_staff": {L["custody"].pk},
        "org_rep": {L["org_project"].pk},
        "nobody": set(),
    }
    for name, ids in expected.items():
        assert _ids(client_for(users[name]).get(ACCOUNTS)) == ids, name


def test_transfers_are_scoped_to_visible_accounts(users, ledger, client_for):
    L = ledger
    assert _ids(client_for(users["auditor_town_b"]).get(TRANSFERS)) == {
        t.pk
        for t in __import__("ledger.models", fromlist=["Transfer"]).Transfer.objects.filter(
            to_account=L["other_src"]
        )
    }
    fed = _ids(client_for(users["federation_staff"]).get(TRANSFERS))
    assert fed == {L["deposit"].pk}
    org = _ids(client_for(users["org_rep"]).get(TRANSFERS))
    assert org == {L["allocation"].pk, L["pending"].pk}
    assert _ids(client_for(users["nobody"]).get(TRANSFERS)) == set()


def test_out_of_scope_objects_answer_404(users, ledger, client_for):
    client = client_for(users["auditor_town_b"])
    assert client.get(f"{ACCOUNTS}{ledger['src'].pk}/").status_code == 404
    assert client.get(f"{TRANSFERS}{ledger['allocation'].pk}/").status_code == 404


def test_account_detail_shows_balances_and_the_breakdown_by_source(users, ledger, client_for):
    client = client_for(users["finance_town"])
    body = client.get(f"{ACCOUNTS}{ledger['src'].pk}/").json()
    assert body["posted"] == "500.00"
    assert body["pending"] == "50.00"
    assert body["available"] == "450.00"
    assert body["is_guarded"] is True
    assert body["by_source"] == [
        {
            "source_account": ledger["src"].pk,
            "posted": "500.00",
            "pending": "50.00",
            "receivable": "0.00",
            "available": "450.00",
        }
    ]
    project = client.get(f"{ACCOUNTS}{ledger['org_project'].pk}/").json()
    assert project["receivable"] == "50.00" and project["available"] == "300.00"


def test_the_api_is_read_only(users, ledger, client_for):
    client = client_for(users["admin"])
    assert client.post(ACCOUNTS, {"name": "x"}).status_code == 405
    assert client.post(TRANSFERS, {"amount": "1.00"}).status_code == 405
    assert client.delete(f"{TRANSFERS}{ledger['funding'].pk}/").status_code == 405
    assert client.patch(f"{ACCOUNTS}{ledger['src'].pk}/", {"name": "y"}).status_code == 405


def test_transfer_filters(users, ledger, client_for):
    L = ledger
    client = client_for(users["admin"])
    assert _ids(client.get(TRANSFERS, {"account": L["custody"].pk})) == {L["deposit"].pk}
    assert _ids(client.get(TRANSFERS, {"source": L["other_src"].pk})) == {
        t for t in _ids(client.get(TRANSFERS)) if t not in {
            L["funding"].pk, L["allocation"].pk, L["deposit"].pk, L["pending"].pk}
    }  # fmt: skip
    assert _ids(client.get(TRANSFERS, {"kind": "allocation"})) == {
        L["allocation"].pk,
        L["pending"].pk,
    }
    assert _ids(client.get(TRANSFERS, {"state": "pending"})) == {L["pending"].pk}
    today = timezone.localdate()
    assert len(_ids(client.get(TRANSFERS, {"date_from": today, "date_to": today}))) == 5
    tomorrow = today + timedelta(days=1)
    assert _ids(client.get(TRANSFERS, {"date_from": tomorrow})) == set()
    assert _ids(client.get(TRANSFERS, {"date_to": today - timedelta(days=1)})) == set()
    bad = client.get(TRANSFERS, {"kind": "gift"})
    assert bad.status_code == 400 and "kind" in bad.json()["fields"]
    bad = client.get(TRANSFERS, {"date_from": "2026-13-01"})
    assert bad.status_code == 400 and "date_from" in bad.json()["fields"]


def test_account_filters(users, ledger, client_for):
    client = client_for(users["admin"])
    assert _ids(client.get(ACCOUNTS, {"kind": "custodial"})) == {ledger["custody"].pk}
    assert _ids(client.get(ACCOUNTS, {"federation": ledger["custody"].federation_id})) == {
        ledger["custody"].pk
    }
    assert _ids(client.get(ACCOUNTS, {"organization": ledger["org_project"].organization_id})) == {
        ledger["org_project"].pk
    }
    town_a = ledger["src"].region_path
    assert _ids(client.get(ACCOUNTS, {"region_path": town_a})) == {
        ledger[k].pk for k in ("src", "custody", "org_project")
    }
    bad = client.get(ACCOUNTS, {"federation": "1.5"})
    assert bad.status_code == 400 and "federation" in bad.json()["fields"]
    assert _ids(client.get(ACCOUNTS, {"code": ledger["src"].code})) == {ledger["src"].pk}


def test_cursor_pagination_walks_every_transfer_once(users, ledger, client_for):
    client = client_for(users["admin"])
    seen, url = [], TRANSFERS + "?page_size=2"
    while url:
        body = client.get(url).json()
        assert "count" not in body
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 5


def test_list_query_counts_do_not_grow_with_rows(
    users, ledger, client_for, django_assert_max_num_queries
):
    client = client_for(users["finance_town"])
    for _ in range(20):
        move(ledger["src"], ledger["org_project"], "1.00", ledger["src"])
    with django_assert_max_num_queries(3):
        assert client.get(ACCOUNTS).status_code == 200
    with django_assert_max_num_queries(3):
        response = client.get(TRANSFERS)
        assert len(response.json()["results"]) == 24
    with django_assert_max_num_queries(4):
        assert client.get(f"{ACCOUNTS}{ledger['src'].pk}/").status_code == 200


def test_reversal_is_linked_both_ways(users, ledger, client_for):
    reversal = services.reverse_transfer(
        actor=system(), transfer=ledger["deposit"], idempotency_key=key()
    )
    client = client_for(users["admin"])
    original = client.get(f"{TRANSFERS}{ledger['deposit'].pk}/").json()
    assert original["reversed_by"] == reversal.pk
    assert client.get(f"{TRANSFERS}{reversal.pk}/").json()["reverses"] == ledger["deposit"].pk
