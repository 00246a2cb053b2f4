"""Authorization (issue 14 item 10): per role, no route moves money outside its scope.

A project of township B (purchaser 牛庄镇) is fully funded, contracted and has an accepted
milestone. Every role of township A (its finance officer, federation A's staff, an
organization's representative) and the auditor try every money-moving step on it: each answers
as if the object did not exist (404) or refuses the role (403), and not one ledger transfer is
written."""

import pytest

from core.errors import NotFound, NotPermitted
from ledger.models import Transfer
from projects import services
from projects.models import Contract, Milestone
from tests.projects.factories import pdf

MOVES = {
    "payment_request": lambda u, o: services.payment_request(
        actor=u, milestone_id=o["milestone"].pk, idempotency_key=f"x-{u.pk}"
    ),
    "allocation_release": lambda u, o: services.allocation_release(
        actor=u, allocation_id=o["reserved"].pk, reason="x"
    ),
    "allocation_submit": lambda u, o: services.allocation_submit(
        actor=u, allocation_id=o["draft"].pk
    ),
    "contract_sign": lambda u, o: services.contract_sign(
        actor=u, contract_id=o["contract"].pk, signed_on="2026-03-01", scan=pdf()
    ),
    "project_close": lambda u, o: services.project_close(actor=u, project_id=o["project"].pk),
    "project_terminate": lambda u, o: services.project_terminate(
        actor=u, project_id=o["project"].pk, reason="x"
    ),
    "project_cancel": lambda u, o: services.project_cancel(
        actor=u, project_id=o["other"].pk, reason="x"
    ),
    "allocation_create": lambda u, o: services.allocation_create(
        actor=u, project_id=o["other"].pk, line=o["line"].pk, amount="1.00"
    ),
}


@pytest.fixture
def township_b(pw):
    lines = pw.lines("2000.00", region="town_b")
    project = pw.project(by="town_b", purchaser=pw.r["town_b"].pk)
    pw.allocate(project, lines[0], "1000.00", by="town_b")
    pw.contract(project, "1000.00", by="town_b")
    milestone = Milestone.objects.get(project=project)
    pw.accept(milestone, by="town_b")
    other = pw.project(by="town_b", purchaser=pw.r["town_b"].pk, title="另一个")
    reserved = pw.allocate(other, lines[0], "100.00", by="town_b")
    draft = services.allocation_create(
        actor=pw["town_b"], project_id=other.pk, line=lines[0].pk, amount="10.00"
    )
    contract = pw.contract(other, "100.00", by="town_b", sign=False)
    services.contract_submit(actor=pw["town_b"], contract_id=contract.pk)
    pw.approve(contract)
    return {
        "project": project, "milestone": milestone, "other": other, "reserved": reserved,
        "draft": draft, "contract": Contract.objects.get(pk=contract.pk), "line": lines[0],
    }  # fmt: skip


@pytest.mark.parametrize("role", ["town_a", "staff", "rep", "member_rep", "auditor",
                                  "other_county"])  # fmt: skip
@pytest.mark.parametrize("move", sorted(MOVES))
def test_no_route_moves_money_outside_the_roles_scope(pw, township_b, role, move):
    before = Transfer.objects.count()
    with pytest.raises((NotFound, NotPermitted)):
        MOVES[move](pw[role], township_b)
    assert Transfer.objects.count() == before


def test_the_purchasers_officer_may(pw, township_b):
    before = Transfer.objects.count()
    services.allocation_release(actor=pw["town_b"], allocation_id=township_b["reserved"].pk,
                                reason="取消")  # fmt: skip
    assert Transfer.objects.count() == before  # a void resolves the reservation in place
    assert Transfer.objects.get(pk=township_b["reserved"].reservation_id).state == "voided"
