"""The projects admin's create forms: choices narrowed to the user's scope, saves through the
services (allocations reserve nothing until approved), refusals shown on the form's field."""

from decimal import Decimal

import pytest

from projects.admin_forms import AllocationForm, DemandForm, parse_criteria
from projects.models import Allocation, Demand, Evaluation, Milestone, Project

pytestmark = pytest.mark.django_db


def _admin_client(client, user):
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


def test_a_township_officer_picks_only_their_townships_lines_and_communities(pw):
    mine = pw.lines("50000.00", region="town_a")[0]
    other = pw.lines("50000.00", region="town_b")[0]
    form = AllocationForm(user=pw["town_a"])
    lines = set(form.fields["line"].queryset.values_list("pk", flat=True))
    assert mine.pk in lines and other.pk not in lines
    project_b = pw.project(by="town_b", approve=False, purchaser=pw.r["town_b"].pk)
    project_a = pw.project(approve=False)
    projects = set(form.fields["project"].queryset.values_list("pk", flat=True))
    assert project_a.pk in projects and project_b.pk not in projects
    communities = DemandForm(user=pw["town_a"]).fields["community"].queryset
    assert {c.path.startswith(pw.r["town_a"].path) for c in communities} == {True}


def test_need_project_allocation_milestone_created_through_the_admin(pw, client):
    line = pw.lines("50000.00")[0]
    c = _admin_client(client, pw["town_a"])
    response = c.post("/admin/projects/demand/add/", {
        "community": pw.r["comm_a1"].pk, "title": "助餐需求", "category": "elderly_care",
        "priority": "high", "beneficiary_count": "40", "_save": "1",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    demand = Demand.objects.get(title="助餐需求")
    assert demand.created_by == pw["town_a"] and demand.history.count() == 1
    response = c.post("/admin/projects/project/add/", {
        "title": "助餐服务", "purchaser": pw.r["town_a"].pk, "category": "elderly_care",
        "catalogue_code": "A0501", "fiscal_year": "2026", "budget_amount": "30000.00",
        "undertaker": pw.o["legal"].pk, "demand": demand.pk, "_save": "1",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    project = Project.objects.get(title="助餐服务")
    assert project.state == "draft" and project.demand_id == demand.pk
    demand.refresh_from_db()
    assert demand.state == "matched"
    response = c.post("/admin/projects/allocation/add/", {
        "project": project.pk, "line": line.pk, "amount": "20000.00", "_save": "1",
    })  # fmt: skip
    assert response.status_code == 302
    allocation = Allocation.objects.get(project=project)
    assert allocation.state == "draft" and allocation.amount == Decimal("20000.00")
    response = c.post("/admin/projects/milestone/add/", {
        "project": project.pk, "number": "1", "title": "第一阶段", "due_on": "2026-06-30",
        "amount": "10000.00", "_save": "1",
    })  # fmt: skip
    assert response.status_code == 302
    assert Milestone.objects.get(project=project).title == "第一阶段"


def test_a_refused_rule_shows_on_its_field_in_chinese(pw, client):
    line = pw.lines("5000.00")[0]
    project = pw.project(approve=False)
    c = _admin_client(client, pw["town_a"])
    response = c.post("/admin/projects/allocation/add/", {
        "project": project.pk, "line": line.pk, "amount": "5000.001", "_save": "1",
    })  # fmt: skip
    assert response.status_code == 200  # the form again, nothing saved
    assert not Allocation.objects.exists()
    errors = response.context["adminform"].form.errors
    assert "amount" in errors
    response = c.post("/admin/projects/project/add/", {
        "title": "采购设备", "purchaser": pw.r["town_a"].pk, "category": "elderly_care",
        "catalogue_code": "A0501", "fiscal_year": "2026", "budget_amount": "1000.00",
        "undertaker": pw.o["legal"].pk, "negative_item": "goods_or_works", "_save": "1",
    })  # fmt: skip
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "负面清单" in " ".join(errors["negative_item"])
    assert not Project.objects.filter(title="采购设备").exists()


def test_another_townships_project_is_not_a_choice(pw, client):
    project_b = pw.project(by="town_b", approve=False, purchaser=pw.r["town_b"].pk)
    c = _admin_client(client, pw["town_a"])
    response = c.post("/admin/projects/milestone/add/", {
        "project": project_b.pk, "number": "1", "title": "越权", "due_on": "2026-06-30",
        "amount": "100.00", "_save": "1",
    })  # fmt: skip
    assert response.status_code == 200
    assert "project" in response.context["adminform"].form.errors
    assert not Milestone.objects.exists()


def test_roles_without_the_step_have_no_add_button(pw, client):
    c = _admin_client(client, pw["rep"])
    assert c.get("/admin/projects/allocation/add/").status_code == 403
    assert c.get("/admin/projects/offer/add/").status_code == 200
    assert c.get("/admin/projects/contract/add/").status_code == 403


def test_criteria_lines_parse_and_the_evaluation_is_recorded_by_the_service(pw):
    assert parse_criteria("服务质量，60，90\n居民满意度, 40, 85\n") == [
        {"name": "服务质量", "weight": Decimal("60"), "score": Decimal("90")},
        {"name": "居民满意度", "weight": Decimal("40"), "score": Decimal("85")},
    ]
    assert not Evaluation.objects.exists()
