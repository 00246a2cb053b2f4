"""Campaigns: drafted with their crowdfunding source, approved through the engine (the
source then has its ledger account), opened, closed by their outcome rule; the project
restriction as data."""

import datetime
from decimal import Decimal

import pytest

from approvals.models import ApprovalRequest
from core.errors import Conflict, InvalidInput, NotFound
from core.models import Job
from funds import services as funds_services
from funds.campaigns import services as crowd
from funds.campaigns.models import Campaign, Donation
from funds.campaigns.selectors import campaigns_for_project, public_figures
from funds.models import FundingSource
from ledger.models import Account
from ledger.selectors import balance
from tests.funds import campaign_factories as cf

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(fw, settings, django_capture_on_commit_callbacks):
    cf.setup_policies(fw)
    fw.charity = cf.holder(fw)
    return fw


def test_campaign_is_a_crowdfunding_source_approved_through_the_engine(cw):
    c = cf.campaign(cw, cw.charity, state="draft")
    assert c.source.kind == "crowdfunding" and c.source.state == "draft"
    assert c.source.allowed_categories == ["elderly_care"] and c.source.account_id is None
    crowd.campaign_submit(actor=cw["county"], campaign_id=c.pk)
    request = ApprovalRequest.objects.get(owner_type="funds.campaign", owner_id=c.pk)
    assert request.kind == "crowdfunding_campaign" and request.amount == Decimal("10000.00")
    # Nobody approves what they created.
    with pytest.raises(Exception) as exc:
        cf.approve(cw, "funds.campaign", c.pk, by="county")
    assert getattr(exc.value, "status_code", 0) in (403, 409)
    cf.approve(cw, "funds.campaign", c.pk)
    c.refresh_from_db()
    source = FundingSource.objects.get(pk=c.source_id)
    assert c.state == "approved" and source.state == "approved"
    assert source.account_id and balance(source.account).posted == 0
    assert [h.state for h in c.history.order_by("history_id")] == ["draft", "submitted",
                                                                   "approved"]  # fmt: skip


def test_no_donation_before_open_or_after_close(cw):
    c = cf.campaign(cw, cw.charity, state="approved")
    with pytest.raises(Conflict) as exc:
        cf.donate(cw, c)
    assert exc.value.code == "campaign_not_open"
    assert not Donation.objects.exists()
    draft = cf.campaign(cw, cw.charity, state="draft", title="草稿众筹")
    with pytest.raises(Conflict):
        cf.donate(cw, draft)
    crowd.campaign_open(actor=cw["county"], campaign_id=c.pk)
    cf.donate(cw, c, "10000.00")
    crowd.campaign_close(actor=cw["county"], campaign_id=c.pk, reason="期满")
    with pytest.raises(Conflict) as exc:
        cf.donate(cw, c)
    assert exc.value.code == "campaign_not_open" and Donation.objects.count() == 1


def test_all_or_nothing_reaching_target_succeeds(cw):
    c = cf.campaign(cw, cw.charity, target="500.00")
    cf.donate(cw, c, "300.00")
    cf.donate(cw, c, "200.00", donor_type="enterprise", donor_name="胜利油田某公司")
    c = crowd.campaign_close(actor=cw["county"], campaign_id=c.pk, reason="期满")
    assert c.state == "succeeded" and c.refund_job is None
    assert balance(c.source.account).posted == Decimal("500.00")


def test_keep_what_you_raise_keeps_a_short_campaign(cw):
    c = cf.campaign(cw, cw.charity, target="500.00", rule="keep_what_raised")
    cf.donate(cw, c, "100.00")
    c = crowd.campaign_close(actor=cw["county"], campaign_id=c.pk)
    assert c.state == "succeeded" and balance(c.source.account).posted == Decimal("100.00")


def test_failed_all_or_nothing_refunds_every_donation_in_a_job(cw):
    c = cf.campaign(cw, cw.charity, target="5000.00")
    donations = [cf.donate(cw, c, f"{i}00.00") for i in range(1, 4)]
    receipt = crowd.receipt_issue(actor=cw["county"], donation_id=donations[0].pk)
    c = crowd.campaign_close(actor=cw["county"], campaign_id=c.pk, reason="未达目标")
    assert c.state == "failed" and c.refund_job is not None
    job = Job.objects.get(pk=c.refund_job_id)
    from core import jobs

    assert jobs.run(str(job.pk)) == "succeeded"
    job.refresh_from_db()
    assert job.result["refunded_count"] == 3 and job.done == job.total == 3
    assert set(Donation.objects.values_list("state", flat=True)) == {"refunded"}
    assert balance(c.source.account).posted == 0
    receipt.refresh_from_db()
    assert receipt.state == "void" and receipt.number == 1
    # Run again (a redelivered task, or a second job): nothing is refunded twice.
    crowd.refund_campaign_again(actor=cw["county"], campaign_id=c.pk)
    c.refresh_from_db()
    assert jobs.run(str(c.refund_job_id)) == "succeeded"
    again = Job.objects.get(pk=c.refund_job_id)
    assert again.result["refunded_count"] == 0 and again.result["already_refunded_count"] == 3
    assert balance(c.source.account).posted == 0


def test_job_progress_is_served_at_the_jobs_endpoint(cw, client_for):
    c = cf.campaign(cw, cw.charity, target="5000.00")
    cf.donate(cw, c, "100.00")
    c = crowd.campaign_close(actor=cw["county"], campaign_id=c.pk)
    from core import jobs

    jobs.run(str(c.refund_job_id))
    body = client_for(cw["county"]).get(f"/api/v1/jobs/{c.refund_job_id}/").json()
    assert body["status"] == "succeeded" and body["progress"] == 1.0
    assert body["result"]["refunded_count"] == 1


def test_cancel_only_without_money(cw):
    c = cf.campaign(cw, cw.charity)
    cf.donate(cw, c)
    with pytest.raises(Conflict) as exc:
        crowd.campaign_cancel(actor=cw["county"], campaign_id=c.pk, reason="取消")
    assert exc.value.code == "campaign_holds_money"
    d = cf.campaign(cw, cw.charity, state="draft", title="另一个")
    d = crowd.campaign_cancel(actor=cw["county"], campaign_id=d.pk, reason="取消")
    assert d.state == "cancelled"
    assert FundingSource.objects.get(pk=d.source_id).state == "rejected"
    e = cf.campaign(cw, cw.charity, state="approved", title="已批准未开始")
    crowd.campaign_cancel(actor=cw["county"], campaign_id=e.pk, reason="取消")
    assert not Account.objects.get(pk=e.source.account_id).is_active


def test_bad_campaign_input_is_refused_naming_the_field(cw):
    with pytest.raises(InvalidInput) as exc:
        cf.campaign(cw, cw.charity, state="draft", starts_on=datetime.date(2026, 5, 1),
                    ends_on=datetime.date(2026, 4, 1))  # fmt: skip
    assert "ends_on" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        cf.campaign(cw, cw.charity, state="draft", category="weapons")
    assert "category" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        cf.campaign(cw, cw.charity, state="draft", target="0")
    assert "target_amount" in exc.value.fields
    # A holder out of the officer's scope answers as a missing one.
    other = cf.holder(cw, region="other_county", by="other_county", name="河口慈善会")
    with pytest.raises(InvalidInput) as exc:
        cf.campaign(cw, other, state="draft")
    assert exc.value.code == "unknown_object" and "holder" in exc.value.fields
    assert not Campaign.objects.exists()


def test_organization_without_legal_personality_holds_nothing(cw):
    with pytest.raises(InvalidInput) as exc:
        cf.holder(cw, "organization", organization=cw.r["org_a"].pk)
    assert exc.value.code == "holder_no_legal_personality"


def test_out_of_scope_campaign_is_not_found(cw):
    c = cf.campaign(cw, cw.charity, state="draft")
    with pytest.raises(NotFound):
        crowd.campaign_submit(actor=cw["other_county"], campaign_id=c.pk)


def test_designate_project_stores_an_opaque_reference(cw):
    c = cf.campaign(cw, cw.charity)
    crowd.designate_project(campaign=c, project_ref="projects.project:42", actor=cw["county"],
                            reason="立项")  # fmt: skip
    assert list(campaigns_for_project("projects.project:42")) == [c]
    with pytest.raises(Conflict) as exc:
        crowd.designate_project(campaign=c, project_ref="projects.project:43",
                                actor=cw["county"], reason="改")  # fmt: skip
    assert exc.value.code == "project_already_designated"


def test_public_figures_hide_anonymous_donors(cw):
    c = cf.campaign(cw, cw.charity)
    cf.donate(cw, c, "50.00", donor_name="李四", anonymous=True)
    cf.donate(cw, c, "70.00", donor_name="王五")
    figures = public_figures(c)
    names = [row["donor"] for row in figures["latest"]]
    assert "李四" not in names and "王五" in names and "匿名" in names
    assert figures["raised"] == Decimal("120.00") and figures["donations"] == 2


def test_an_all_or_nothing_campaigns_money_is_budgeted_only_once_it_succeeded(cw):
    c = cf.campaign(cw, cw.charity, target="500.00")  # in town_a, elderly care
    cf.donate(cw, c, "500.00")
    budget = cw.budget([], submit=False)
    add = dict(actor=cw["town_a"], budget_id=budget.pk, category="elderly_care",
               source_id=c.source_id, amount="300.00")  # fmt: skip
    with pytest.raises(Conflict) as exc:  # still open: every yuan may have to go back
        funds_services.line_add(**add)
    assert exc.value.code == "campaign_not_succeeded" and "source" in exc.value.fields
    assert not budget.lines.exists()
    crowd.campaign_close(actor=cw["county"], campaign_id=c.pk, reason="期满")
    funds_services.line_add(**add)
    funds_services.budget_submit(actor=cw["town_a"], budget_id=budget.pk)
    cw.approve(budget)
    budget.refresh_from_db()
    assert budget.state == "approved"
    assert balance(c.source.account).available == Decimal("200.00")


def test_a_keep_what_you_raise_campaigns_money_is_budgeted_while_open(cw):
    c = cf.campaign(cw, cw.charity, target="5000.00", rule="keep_what_raised")
    cf.donate(cw, c, "400.00")
    budget = cw.budget([("elderly_care", c.source, "400.00")])
    assert budget.state == "approved" and balance(c.source.account).available == 0
