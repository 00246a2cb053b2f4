"""Campaigns raised for a project: designated by a finance officer (a campaign in scope, on
the project's branch of the region tree, for its category, the project not over), listed with
what each raised, audited with who and why."""

import pytest

from core.errors import Conflict, InvalidInput
from funds.campaigns.models import Campaign
from projects import campaign_links
from projects import services as projects
from tests.funds import campaign_factories as cf

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(pw):
    cf.setup_policies(pw)
    pw.charity = cf.holder(pw)
    return pw


def url(project):
    return f"/api/v1/projects/{project.pk}/campaigns/"


def test_an_officer_designates_a_campaign_and_the_project_lists_it(cw, client_for):
    project = cw.project()
    campaign = cf.campaign(cw, cw.charity)
    cf.donate(cw, campaign, "120.50")
    api = client_for(cw["town_a"])
    r = api.post(url(project), {"campaign": campaign.pk, "reason": "为助餐项目募集"}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["id"] == campaign.pk and r.json()["raised"] == "120.50"
    campaign.refresh_from_db()
    assert campaign.project_ref == f"projects.project:{project.pk}"
    last = campaign.history.first()
    assert last.history_user == cw["town_a"] and last.history_change_reason == "为助餐项目募集"
    listed = client_for(cw["auditor"]).get(url(project)).json()
    assert [c["id"] for c in listed] == [campaign.pk]
    # Designating the same campaign again changes nothing; another project may not take it.
    assert api.post(url(project), {"campaign": campaign.pk}, format="json").status_code == 201
    other = cw.project(title="第二个项目")
    r = api.post(url(other), {"campaign": campaign.pk}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "project_already_designated"


def test_a_campaign_for_another_category_is_refused_on_its_field(cw):
    project = cw.project()
    campaign = cf.campaign(cw, cw.charity, category="children_youth")
    with pytest.raises(InvalidInput) as refused:
        campaign_links.campaign_designate(
            actor=cw["town_a"], project_id=project.pk, campaign_id=campaign.pk
        )
    assert refused.value.code == "campaign_category_mismatch" and "campaign" in refused.value.fields
    assert Campaign.objects.get(pk=campaign.pk).project_ref == ""


def test_a_campaign_of_another_township_is_refused_even_to_the_county(cw):
    project = cw.project()  # purchased by township A
    campaign = cf.campaign(cw, cw.charity, region="town_b")
    with pytest.raises(InvalidInput) as refused:
        campaign_links.campaign_designate(
            actor=cw["county"], project_id=project.pk, campaign_id=campaign.pk
        )
    assert refused.value.code == "campaign_region_mismatch"


def test_out_of_scope_and_missing_campaigns_look_the_same(cw, client_for):
    project = cw.project()
    hidden = cf.campaign(cw, cw.charity, region="town_b")
    api = client_for(cw["town_a"])  # township A's officer does not see township B's campaign
    answers = [
        api.post(url(project), {"campaign": pk}, format="json").json() for pk in (hidden.pk, 999999)
    ]
    assert answers[0] == answers[1] and answers[0]["code"] == "unknown"
    assert "campaign" in answers[0]["fields"]


def test_an_ended_project_takes_no_campaign(cw):
    project = cw.project()
    projects.project_cancel(actor=cw["town_a"], project_id=project.pk, reason="需求取消")
    campaign = cf.campaign(cw, cw.charity)
    with pytest.raises(Conflict) as refused:
        campaign_links.campaign_designate(
            actor=cw["town_a"], project_id=project.pk, campaign_id=campaign.pk
        )
    assert refused.value.code == "project_state"


def test_auditors_and_federation_staff_cannot_designate(cw, client_for):
    project = cw.project()
    campaign = cf.campaign(cw, cw.charity)
    for who in ("auditor", "staff"):
        r = client_for(cw[who]).post(url(project), {"campaign": campaign.pk}, format="json")
        assert r.status_code == 403, who
    assert Campaign.objects.get(pk=campaign.pk).project_ref == ""


@pytest.mark.parametrize("n", [1, 4])
def test_listing_costs_the_same_queries_whatever_the_number(
    cw, client_for, django_assert_num_queries, n
):
    project = cw.project()
    for i in range(n):
        campaign = cf.campaign(cw, cw.charity, title=f"众筹{i}")
        cf.donate(cw, campaign, "10.00")
        campaign_links.campaign_designate(
            actor=cw["town_a"], project_id=project.pk, campaign_id=campaign.pk
        )
    api = client_for(cw["auditor"])
    api.get(url(project))  # warm the user's scope caches
    with django_assert_num_queries(QUERIES):
        assert len(api.get(url(project)).json()) == n


QUERIES = 2  # the project, the campaigns with their totals
