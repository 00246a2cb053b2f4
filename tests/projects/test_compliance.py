"""Every refusal of the compliance gate, each with its reason code (DESIGN.md 3b)."""

import datetime

import pytest

from funds import services as funds
from ledger import services as ledger
from projects import compliance, services
from projects.compliance import ComplianceRefused
from projects.models import Milestone
from tests.factories import make_user
from tests.projects.factories import YEAR, pdf


def refused(code, fn, *args, **kwargs):
    with pytest.raises(ComplianceRefused) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.fields
    assert code in caught.value.fields["reason_codes"]
    assert caught.value.detail  # a Chinese message
    return caught.value


def test_negative_list_item_refused_at_proposal(pw):
    refused("negative_list_item", pw.project, negative_item="goods_or_works", approve=False)


def test_catalogue_code_missing_refused(pw):
    refused("catalogue_code_missing", pw.project, catalogue_code="", approve=False)


def test_unincorporated_undertaker_refused_without_its_federation(pw):
    project = services.project_create(
        actor=pw["town_a"], title="x", purchaser=pw.r["town_a"].pk, category="elderly_care",
        catalogue_code="A1", fiscal_year=YEAR, budget_amount="100.00",
        undertaker=pw.o["member"].pk,
    )  # fmt: skip
    refused("undertaker_not_legal_person", services.project_submit, actor=pw["town_a"],
            project_id=project.pk)  # fmt: skip


def test_inactive_undertaker_refused(pw):
    legal = pw.o["legal"]
    legal.state = "suspended"
    legal.save()
    refused("undertaker_inactive", pw.project)


def test_government_function_needs_a_party_organization(pw):
    legal = pw.o["legal"]
    legal.party_form, legal.party_established_on = "none", None
    legal.save()
    refused("party_organization_required", pw.project, transfers_government_function=True)


def test_custody_for_an_organization_outside_the_federation_refused(pw):
    project = services.project_create(
        actor=pw["county"], title="x", purchaser=pw.r["town_a"].pk, category="elderly_care",
        catalogue_code="A1", fiscal_year=YEAR, budget_amount="100.00",
        custody_federation=pw.r["federation_a"].pk, member=pw.r["org_b"].pk,
    )  # fmt: skip
    refused("custody_not_eligible", services.project_submit, actor=pw["county"],
            project_id=project.pk)  # fmt: skip


def test_source_restricted_to_other_categories_refused(pw):
    source = pw.source("1000.00", allowed_categories=["elderly_care"])
    line = pw.budget([("elderly_care", source, "1000.00")]).lines.get()
    project = pw.project(category="children_youth")
    refused("source_category_not_allowed", services.allocation_create, actor=pw["town_a"],
            project_id=project.pk, line=line.pk, amount="100.00")  # fmt: skip


def test_source_requiring_a_party_organization_refused(pw):
    source = pw.source("1000.00", requires_party_organization=True)
    line = pw.budget([("elderly_care", source, "1000.00")]).lines.get()
    legal = pw.o["legal"]
    legal.party_form, legal.party_established_on = "instructor", datetime.date(2020, 1, 1)
    legal.save()
    project = pw.project()
    refused(
        "source_requires_party_organization",
        services.allocation_create,
        actor=pw["town_a"],
        project_id=project.pk,
        line=line.pk,
        amount="100.00",
    )


def test_budget_of_another_fiscal_year_refused(pw):
    (line,) = pw.lines("1000.00")
    funds.fiscal_year_open(actor=pw["admin"], year=YEAR + 1, reason="测试")
    project = pw.project()
    project_next = services.project_create(
        actor=pw["town_a"], title="明年", purchaser=pw.r["town_a"].pk, category="elderly_care",
        catalogue_code="A1", fiscal_year=YEAR + 1, budget_amount="100.00",
        undertaker=pw.o["legal"].pk,
    )  # fmt: skip
    assert project.pk != project_next.pk
    refused("budget_wrong_fiscal_year", services.allocation_create, actor=pw["town_a"],
            project_id=project_next.pk, line=line.pk, amount="100.00")  # fmt: skip


def test_no_contract_without_reserved_money(pw):
    project = pw.project()
    contract = pw.contract(project, "1000.00", sign=False)
    refused("budget_not_reserved", services.contract_submit, actor=pw["town_a"],
            contract_id=contract.pk)  # fmt: skip


def test_reserved_money_less_than_the_price_refused(pw):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    pw.allocate(project, line, "500.00")
    contract = pw.contract(project, "1000.00", sign=False)
    refused("reserved_less_than_price", services.contract_submit, actor=pw["town_a"],
            contract_id=contract.pk)  # fmt: skip


def test_unapproved_allocation_is_not_reserved_money(pw):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    pw.allocate(project, line, "1000.00", approve=False)
    contract = pw.contract(project, "1000.00", sign=False)
    refused("budget_not_reserved", services.contract_submit, actor=pw["town_a"],
            contract_id=contract.pk)  # fmt: skip


def test_term_over_one_year_refused(pw):
    project = pw.project()
    refused("term_over_one_year", pw.contract, project, "100.00", sign=False,
            term_end=datetime.date(YEAR + 1, 3, 1))  # fmt: skip


def test_three_years_only_when_stable_and_funded(pw):
    project = pw.project()
    refused("term_over_one_year", pw.contract, project, "100.00", sign=False,
            stable_service=True, term_end=datetime.date(YEAR + 2, 2, 1))  # fmt: skip
    refused("term_over_three_years", pw.contract, project, "100.00", sign=False,
            stable_service=True, funding_secured=True,
            term_end=datetime.date(YEAR + 3, 3, 1))  # fmt: skip
    contract = pw.contract(
        project,
        "100.00",
        sign=False,
        stable_service=True,
        funding_secured=True,
        term_end=datetime.date(YEAR + 3, 2, 28),
    )
    assert contract.term_end.year == YEAR + 3  # fmt: skip


def test_milestone_shares_must_add_to_the_price(pw):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    pw.allocate(project, line, "1000.00")
    contract = pw.contract(project, "1000.00", shares=["500.00", "400.00"], sign=False)
    refused("milestone_shares_mismatch", services.contract_submit, actor=pw["town_a"],
            contract_id=contract.pk)  # fmt: skip


def test_no_acceptance_or_payment_before_a_signed_contract(pw):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    pw.allocate(project, line, "1000.00")
    pw.contract(project, "1000.00", sign=False)
    milestone = Milestone.objects.get(project=project)
    services.evidence_upload(actor=pw["town_a"], milestone_id=milestone.pk, file=pdf())
    refused("no_signed_contract", services.milestone_accept, actor=pw["town_a"],
            milestone_id=milestone.pk, accepted_on="2026-06-01", note="ok")  # fmt: skip
    refused("no_signed_contract", services.payment_request, actor=pw["town_a"],
            milestone_id=milestone.pk, idempotency_key="k1")  # fmt: skip


def _signed(pw, **kw):
    (line,) = pw.lines("1000.00")
    project = pw.project(**kw)
    pw.allocate(project, line, "1000.00")
    pw.contract(project, "1000.00")
    return project, Milestone.objects.get(project=project)


def test_payment_only_after_acceptance(pw):
    project, milestone = _signed(pw)
    refused("milestone_not_accepted", services.payment_request, actor=pw["town_a"],
            milestone_id=milestone.pk, idempotency_key="k1")  # fmt: skip


def test_acceptance_needs_evidence(pw):
    project, milestone = _signed(pw)
    refused("acceptance_without_evidence", services.milestone_accept, actor=pw["town_a"],
            milestone_id=milestone.pk, accepted_on="2026-06-01", note="ok")  # fmt: skip


def test_no_close_out_without_evaluation(pw):
    project, milestone = _signed(pw)
    pw.accept(milestone)
    pw.pay(milestone)
    services.project_start(actor=pw["town_a"], project_id=project.pk)
    services.project_deliver(actor=pw["town_a"], project_id=project.pk)
    services.project_accept(actor=pw["town_a"], project_id=project.pk)
    refused("no_evaluation", services.project_close, actor=pw["town_a"], project_id=project.pk)


def test_custody_payment_without_a_custodial_account_refused(pw):
    ledger.close_account(actor=pw["admin"], account=pw.o["custodial"], reason="测试")
    project, milestone = _signed(pw, custody=True)
    pw.accept(milestone)
    refused("custodial_account_closed", services.payment_request, actor=pw["town_a"],
            milestone_id=milestone.pk, idempotency_key="k1")  # fmt: skip


def test_custody_member_with_no_custodial_account_refused(pw):
    from federations.models import Membership, Organization  # noqa: PLC0415

    other = Organization(name="金湖社区书画社", community=pw.r["comm_a2"])
    other.save()
    Membership(federation=pw.r["federation_a"], organization=other,
               joined_on=datetime.date(2024, 1, 1)).save()  # fmt: skip
    pw.o["member"] = other
    project, milestone = _signed(pw, custody=True)
    pw.accept(milestone)
    refused("no_custodial_account", services.payment_request, actor=pw["town_a"],
            milestone_id=milestone.pk, idempotency_key="k1")  # fmt: skip


def test_compliance_report_lists_every_rule(pw):
    project, milestone = _signed(pw)
    results = {r.rule: r for r in compliance.report(project)}
    assert set(results) == set(compliance.RULES)
    assert results["budget_first"].status == "pass"
    assert results["term"].status == "pass"
    assert results["signed_contract"].status == "pass"
    assert results["acceptance"].status == "not_yet"
    assert results["evaluation"].status == "not_yet"


def test_an_officer_of_another_county_cannot_propose_here(pw):
    other = make_user("pj_other_officer", "finance_officer", region=pw.r["other_county"])
    with pytest.raises(Exception) as caught:
        pw.project(by="other_county")
    assert getattr(caught.value, "fields", {}).keys() & {"purchaser"}
    assert other.pk
