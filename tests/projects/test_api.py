"""The projects API: the flow's steps over HTTP, scoped answers, the compliance report,
uploads refused by content, private files served only in scope, lists in fixed queries,
the disclosure export without personal data."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import services
from projects.models import Contract, Milestone
from tests.projects.factories import PDF, YEAR


def _running(pw):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    pw.allocate(project, line, "1000.00")
    contract = pw.contract(project, "1000.00")
    return project, contract, Milestone.objects.get(project=project)


def test_compliance_endpoint_lists_every_rule(pw, client_for):
    project, _contract, _m = _running(pw)
    response = client_for(pw["town_a"]).get(f"/api/v1/projects/{project.pk}/compliance/")
    assert response.status_code == 200
    rules = {r["rule"]: r for r in response.json()}
    assert rules["budget_first"]["status"] == "pass"
    assert rules["acceptance"]["status"] == "not_yet"
    assert rules["acceptance"]["code"] == "milestone_not_accepted"
    assert (
        client_for(pw["staff_b"]).get(f"/api/v1/projects/{project.pk}/compliance/").status_code
        == 404
    )


def test_gate_refusal_answers_409_with_its_reason_code(pw, client_for):
    project = pw.project()
    response = client_for(pw["town_a"]).post(
        "/api/v1/contracts/",
        {"project": project.pk, "content": "x", "term_start": "2026-01-01",
         "term_end": "2027-06-30", "price": "100.00"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "term_over_one_year"
    assert body["fields"]["reason_codes"] == ["term_over_one_year"]


def test_sign_refuses_a_faked_pdf_and_writes_nothing(pw, client_for):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    pw.allocate(project, line, "1000.00")
    contract = pw.contract(project, "1000.00", sign=False)
    services.contract_submit(actor=pw["town_a"], contract_id=contract.pk)
    pw.approve(contract)
    fake = SimpleUploadedFile("scan.pdf", b"<html>not a pdf</html>", "application/pdf")
    response = client_for(pw["town_a"]).post(
        f"/api/v1/contracts/{contract.pk}/sign/",
        {"signed_on": "2026-03-01", "scan": fake},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "upload_type_not_allowed"
    assert "scan" in response.json()["fields"]
    contract.refresh_from_db()
    assert contract.state == "approved" and not contract.scan


def test_scan_served_only_in_scope_and_never_from_media(pw, client_for, settings):
    _project, contract, _m = _running(pw)
    response = client_for(pw["town_a"]).get(f"/api/v1/contracts/{contract.pk}/scan/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        client_for(pw["staff_b"]).get(f"/api/v1/contracts/{contract.pk}/scan/").status_code == 404
    )
    stored = Contract.objects.get(pk=contract.pk).scan.path
    assert stored.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not stored.startswith(str(settings.MEDIA_ROOT))


def test_payment_over_http_is_idempotent(pw, client_for):
    _project, _contract, milestone = _running(pw)
    pw.accept(milestone)
    client = client_for(pw["town_a"])
    first = client.post(f"/api/v1/milestones/{milestone.pk}/pay/", {"idempotency_key": "h1"},
                        format="json")  # fmt: skip
    again = client.post(f"/api/v1/milestones/{milestone.pk}/pay/", {"idempotency_key": "h1"},
                        format="json")  # fmt: skip
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and again.json()["replayed"] is True


def test_projects_list_in_a_fixed_number_of_queries(pw, client_for):
    pw.project(title="一")
    client = client_for(pw["county"])
    client.get("/api/v1/projects/")  # the user's role assignments, loaded once per user
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/projects/").status_code == 200
    for i in range(5):
        pw.project(title=f"项目{i}", custody=bool(i % 2))
    with CaptureQueriesContext(connection) as more:
        response = client.get("/api/v1/projects/")
    assert response.json()["count"] == 6
    assert len(more) == len(few)


def test_disclosure_csv_has_no_personal_data(pw, client_for):
    _project, contract, _m = _running(pw)
    response = client_for(None).get(f"/api/v1/reports/project-disclosure/?fiscal_year={YEAR}")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert pw.o["legal"].name in text and "1000.00" in text
    legal = pw.o["legal"]
    for private in (legal.representative_name, legal.representative_phone):
        assert not private or private not in text
    page = client_for(None).get(f"/disclosure/projects/{YEAR}/")
    assert page.status_code == 200 and "1,000.00" in page.content.decode()


def test_suggestions_rank_with_reasons(pw, client_for):
    need = services.demand_create(
        actor=pw["town_a"], community=pw.r["comm_a1"].pk, title="助餐", category="elderly_care",
        beneficiary_count=10,
    )  # fmt: skip
    near = services.offer_create(
        actor=pw["rep"], organization=pw.o["legal"].pk, title="近", category="elderly_care",
        area=pw.r["comm_a1"].pk, price_min="1.00", price_max="2.00", capacity=20,
    )  # fmt: skip
    far = services.offer_create(
        actor=pw["member_rep"], organization=pw.o["member"].pk, title="远",
        category="elderly_care", area=pw.r["county"].pk, price_min="1.00", price_max="2.00",
    )  # fmt: skip
    services.offer_create(
        actor=pw["rep"], organization=pw.o["legal"].pk, title="别的类别", category="disability",
        area=pw.r["comm_a1"].pk, price_min="1.00", price_max="2.00",
    )  # fmt: skip
    response = client_for(pw["town_a"]).get(f"/api/v1/demands/{need.pk}/suggestions/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["offer"] for r in rows] == [near.pk, far.pk]
    assert all(r["reasons"] for r in rows)
    assert rows[0]["score"] == "45.00"  # 30 closeness + 10 legal person + 5 capacity


def test_latest_scores_show_when_the_undertaker_is_proposed_again(pw, client_for):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    pw.allocate(project, line, "1000.00")
    pw.contract(project, "1000.00")
    services.project_start(actor=pw["town_a"], project_id=project.pk)
    services.project_deliver(actor=pw["town_a"], project_id=project.pk)
    services.evaluation_record(
        actor=pw["town_a"], project_id=project.pk, evaluator_kind="third_party",
        evaluator_name="评估中心", evaluated_on=datetime.date(YEAR, 12, 1),
        criteria=[{"name": "质量", "weight": 100, "score": 77.5}],
    )  # fmt: skip
    again = pw.project(title="再次申报", approve=False)
    response = client_for(pw["town_a"]).get(f"/api/v1/projects/{again.pk}/")
    assert response.json()["latest_score"] == "77.50"
