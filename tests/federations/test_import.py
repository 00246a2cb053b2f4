"""Register import: Chinese headers, every row validated, all or nothing."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from federations.codes import make_credit_code
from federations.importing import ImportRefused, import_organizations, template_xlsx
from federations.models import Organization

HEADER = ",".join(
    [
        *"名称 社区代码 法律地位 统一社会信用代码 类别 负责人".split(),
        *"负责人电话 成立日期 党建情况 党建开始日期 品牌认定年份".split(),
    ]
)
GOOD_CODE = make_credit_code("51", "370502", 777)
BAD_CHECK = GOOD_CODE[:17] + ("0" if GOOD_CODE[17] != "0" else "1")


def csv_bytes(*lines):
    return ("\ufeff" + "\n".join([HEADER, *lines]) + "\n").encode("utf-8")


GOOD_ROWS = [
    f"府前社区书画协会,370502001001,社会团体,{GOOD_CODE},书画、摄影,赵一,13800000001,2021-05-01,单独党支部,2022-07-01,2024",
    "金湖社区舞蹈队,370502001002,备案,,舞蹈,钱二,,2022/03/15,无,,",
    "王家村乡贤理事会,370502100001,备案,,乡贤理事会；民主协商,孙三,,2020年1月2日,党建指导员,2021-01-01,",
]


def test_a_good_register_is_imported_with_categories_and_history(users, regions):
    before = Organization.objects.count()
    result = import_organizations(
        actor=users["admin"], data=csv_bytes(*GOOD_ROWS), filename="登记册.csv", reason="年度登记"
    )
    assert result.created == 3
    assert Organization.objects.count() == before + 3
    org = Organization.objects.get(name="府前社区书画协会")
    assert org.legal_status == "social_group" and org.credit_code == GOOD_CODE
    assert org.party_form == "own_branch" and org.party_established_on == datetime.date(2022, 7, 1)
    assert org.is_brand and org.brand_year == 2024
    assert sorted(org.categories.values_list("category", flat=True)) == [
        "calligraphy_painting",
        "photography",
    ]
    assert org.history.get().history_change_reason == "年度登记"
    village = Organization.objects.get(name="王家村乡贤理事会")
    assert village.founded_on == datetime.date(2020, 1, 2)
    assert set(village.categories.values_list("category", flat=True)) == {
        "village_worthies_council",
        "democratic_consultation",
    }


def test_bad_rows_import_nothing_and_each_is_listed(users, regions):
    before = Organization.objects.count()
    data = csv_bytes(
        GOOD_ROWS[1],  # line 2: fine
        f"书画社,370502001001,社会团体,{BAD_CHECK},书画,周四,,2021-05-01,无,,",  # 3
        "无名队,999999999999,备案,,舞蹈,,,2021-05-01,无,,",  # 4: community, representative
        f"重复队,370502001001,社会团体,{GOOD_CODE},跳绳,吴五,,May 2021,无,,",  # 5
        f"重复队二,370502001002,社会团体,{GOOD_CODE},健身,郑六,,2021-05-01,无,,",  # 6
        "金湖社区舞蹈队,370502001002,备案,,舞蹈,钱二,,2022-03-15,无,,",  # 7: same as line 2
        "品牌队,370502001001,备案,,健身,王七,,2021-05-01,无,,1999",  # 8: brand year
    )
    with pytest.raises(ImportRefused) as exc:
        import_organizations(actor=users["admin"], data=data, filename="x.csv")
    assert Organization.objects.count() == before
    errors = {(e.line, e.column) for e in exc.value.errors}
    reasons = {(e.line, e.column): e.reason for e in exc.value.errors}
    assert (3, "统一社会信用代码") in errors and "校验码" in reasons[(3, "统一社会信用代码")]
    assert {(4, "社区代码"), (4, "负责人")} <= errors
    assert "没有此代码" in reasons[(4, "社区代码")]
    assert {(5, "类别"), (5, "成立日期")} <= errors
    assert "跳绳" in reasons[(5, "类别")]
    assert reasons[(6, "统一社会信用代码")] == "与第 5 行重复。"
    assert reasons[(7, "名称")] == "与第 2 行重复。"
    assert (8, "品牌认定年份") in errors
    assert not any(e.line == 2 for e in exc.value.errors)
    assert "未导入任何数据" in str(exc.value.detail)


def test_already_registered_code_is_refused(users, regions):
    import_organizations(actor=users["admin"], data=csv_bytes(GOOD_ROWS[0]), filename="a.csv")
    with pytest.raises(ImportRefused) as exc:
        import_organizations(
            actor=users["admin"],
            data=csv_bytes(GOOD_ROWS[0].replace("府前社区书画协会", "另一个")),
            filename="b.csv",
        )
    assert [(e.line, e.column, e.reason) for e in exc.value.errors] == [
        (2, "统一社会信用代码", "已登记。")
    ]


def test_unknown_and_missing_columns(users, regions):
    data = "名称,社区代码,备注\n甲,370502001001,x\n".encode()
    with pytest.raises(ImportRefused) as exc:
        import_organizations(actor=users["admin"], data=data, filename="x.csv")
    cols = {e.column for e in exc.value.errors}
    assert "备注" in cols and {"法律地位", "类别", "负责人", "成立日期"} <= cols
    assert all(e.line == 1 for e in exc.value.errors)


def test_xlsx_register_and_the_template(users, regions):
    wb = load_workbook(io.BytesIO(template_xlsx()))
    headers = [c.value for c in wb.worksheets[0][1]]
    assert headers[:3] == ["名称", "社区代码", "法律地位"] and "填写说明" in wb.sheetnames
    ws = wb.worksheets[0]
    row = dict.fromkeys(headers)
    row.update(
        {
            "名称": "春晖合唱团",
            "社区代码": 370502001001,  # a number in Excel
            "法律地位": "备案",
            "类别": "歌咏",
            "负责人": "冯八",
            "负责人电话": 13900000000,
            "成立日期": datetime.datetime(2023, 4, 5),
        }
    )
    ws.append([row[h] for h in headers])
    out = io.BytesIO()
    wb.save(out)
    result = import_organizations(actor=users["admin"], data=out.getvalue(), filename="r.xlsx")
    assert result.created == 1
    org = Organization.objects.get(name="春晖合唱团")
    assert org.representative_phone == "13900000000"
    assert org.founded_on == datetime.date(2023, 4, 5)


def test_federation_staff_import_only_into_their_township(users, regions):
    with pytest.raises(ImportRefused) as exc:
        import_organizations(
            actor=users["federation_staff"], data=csv_bytes(*GOOD_ROWS), filename="x.csv"
        )
    assert [(e.line, e.column) for e in exc.value.errors] == [(4, "社区代码")]
    result = import_organizations(
        actor=users["federation_staff"], data=csv_bytes(*GOOD_ROWS[:2]), filename="x.csv"
    )
    assert result.created == 2


def test_other_roles_may_not_import(users, regions):
    from core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        import_organizations(actor=users["auditor"], data=csv_bytes(*GOOD_ROWS), filename="x.csv")


def test_api_import(users, regions, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(users["admin"])
    bad = client.post(
        "/api/v1/organizations/import/",
        {"file": SimpleUploadedFile("x.csv", csv_bytes(GOOD_ROWS[0], "坏,1,备案,,,,,,,,"))},
        format="multipart",
    )
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "import_refused"
    assert {"line": 3, "column": "社区代码", "reason": "没有此代码的社区（村）。"} in body[
        "fields"
    ]["rows"]
    assert not Organization.objects.filter(name="府前社区书画协会").exists()
    good = client.post(
        "/api/v1/organizations/import/",
        {"file": SimpleUploadedFile("x.csv", csv_bytes(*GOOD_ROWS))},
        format="multipart",
    )
    assert good.status_code == 201 and good.json() == {"created": 3}
    wrong_type = client.post(
        "/api/v1/organizations/import/",
        {"file": SimpleUploadedFile("x.pdf", b"%PDF")},
        format="multipart",
    )
    assert wrong_type.status_code == 400
    broken = client.post(
        "/api/v1/organizations/import/",
        {"file": SimpleUploadedFile("x.xlsx", b"not a zip")},
        format="multipart",
    )
    assert broken.status_code == 400


def test_management_command(users, regions, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(*GOOD_ROWS))
    call_command("import_organizations", str(good), "--as", "admin1", "--reason", "年度登记")
    assert "已导入 3 个" in capsys.readouterr().out
    org = Organization.objects.get(name="金湖社区舞蹈队")
    assert org.history.get().history_user.username == "system.command"

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("坏,1,备案,,舞蹈,甲,,2021-01-01,无,,"))
    with pytest.raises(CommandError):
        call_command("import_organizations", str(bad), "--as", "admin1", "--no-progress")
    assert "第 2 行 [社区代码]" in capsys.readouterr().err


def test_a_long_error_list_is_cut_to_the_first_thousand_with_the_full_list_as_a_job(
    users, regions, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Regression: 100,000 bad rows answered a 30 MB error list in one response. The answer
    lists the first 1,000 errors and the count; a job offers the full list as a file."""
    from rest_framework.test import APIClient

    from core import jobs

    settings.MEDIA_ROOT = tmp_path
    rows = [f"无名队{i},999999999999,备案,,舞蹈,负责人,,2021-05-01,无,," for i in range(1200)]
    with django_capture_on_commit_callbacks(execute=False), pytest.raises(ImportRefused) as exc:
        import_organizations(actor=users["admin"], data=csv_bytes(*rows), filename="x.csv")
    refused = exc.value
    assert len(refused.errors) == 1200  # callers (the command, the admin page) see them all
    assert len(refused.fields["rows"]) == 1000
    assert refused.fields["error_count"] == ["1200"]
    job_id = refused.fields["errors_job"][0]
    assert job_id in str(refused.detail)
    assert jobs.run(job_id) == "succeeded"  # what the Celery task queued on commit does

    client = APIClient()
    client.force_authenticate(users["admin"])
    job = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert job["status"] == "succeeded"
    download = client.get(f"/api/v1/jobs/{job_id}/download/")
    assert download.status_code == 200
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 1200
    assert lines[1].startswith("2,社区代码,")
    # Only its owner may fetch it.
    client.force_authenticate(users["federation_staff"])
    assert client.get(f"/api/v1/jobs/{job_id}/download/").status_code == 404


def test_a_short_error_list_is_answered_whole_with_no_job(users, regions):
    rows = [f"无名队{i},999999999999,备案,,舞蹈,负责人,,2021-05-01,无,," for i in range(3)]
    with pytest.raises(ImportRefused) as exc:
        import_organizations(actor=users["admin"], data=csv_bytes(*rows), filename="x.csv")
    assert len(exc.value.fields["rows"]) == 3
    assert exc.value.fields["error_count"] == ["3"]
    assert "errors_job" not in exc.value.fields


def _snapshot(names) -> list:
    """Everything registering `names` left behind, without ids: the organizations' fields,
    categories, memberships, and every history row's type, reason, user and actor."""
    from federations.models import Membership, OrganizationCategory

    def history(rows, *keys):
        return sorted(
            (*(str(getattr(h, k)) for k in keys), h.history_type, h.history_change_reason)
            + (h.history_user_id, h.history_actor)
            for h in rows
        )

    out = []
    for org in Organization.objects.filter(name__in=names).order_by("name"):
        fields = {
            f.attname: getattr(org, f.attname)
            for f in Organization._meta.concrete_fields
            if not f.primary_key
        }
        out.append(
            {
                "fields": fields,
                "categories": sorted(org.categories.values_list("category", flat=True)),
                "memberships": sorted(
                    org.memberships.values_list("federation_id", "joined_on", "left_on")
                ),
                "history": history(org.history.all(), "name"),
                "category_history": history(
                    OrganizationCategory.history.filter(organization_id=org.pk), "category"
                ),
                "membership_history": history(
                    Membership.history.filter(organization_id=org.pk), "federation_id"
                ),
            }
        )
    return out


def test_an_import_is_the_same_as_registering_each_row_through_the_service(users, regions):
    """Same rows, same categories, same memberships (imported by a federation's staff, each
    joins the federation), same history reasons and actors."""
    from django.db import transaction

    from core.context import acting_as
    from federations.services import organization_register

    staff = users["federation_staff"]
    names = ["府前社区书画协会", "金湖社区舞蹈队"]
    by_hand = [
        {
            "name": "府前社区书画协会",
            "community_id": regions["comm_a1"].pk,
            "legal_status": "social_group",
            "credit_code": GOOD_CODE,
            "categories": ["calligraphy_painting", "photography"],
            "representative_name": "赵一",
            "representative_phone": "13800000001",
            "founded_on": datetime.date(2021, 5, 1),
            "party_form": "own_branch",
            "party_established_on": datetime.date(2022, 7, 1),
            "is_brand": True,
            "brand_year": 2024,
        },
        {
            "name": "金湖社区舞蹈队",
            "community_id": regions["comm_a2"].pk,
            "legal_status": "filed",
            "categories": ["dance"],
            "representative_name": "钱二",
            "founded_on": datetime.date(2022, 3, 15),
        },
    ]
    snapshots = []
    for run in ("import", "service"):
        with transaction.atomic(), acting_as(user=staff):
            if run == "import":
                import_organizations(
                    actor=staff, data=csv_bytes(*GOOD_ROWS[:2]), filename="r.csv", reason="年度登记"
                )
            else:
                for values in by_hand:
                    organization_register(actor=staff, reason="年度登记", **values)
            snapshots.append(_snapshot(names))
            transaction.set_rollback(True)
    imported, registered = snapshots
    assert len(imported) == 2
    assert all(
        s["memberships"] == [(regions["federation_a"].pk, datetime.date.today(), None)]
        for s in imported
    )
    assert imported == registered


def test_a_row_the_service_refuses_rolls_the_whole_import_back(users, regions, monkeypatch):
    """A rule only the service checks (here: a row registered between validation and
    writing) refuses the import and names the row."""
    from federations import importing

    real = importing.organization_register
    calls = []

    def register_then_race(**values):
        calls.append(values["name"])
        if len(calls) == 2:
            real(**{**values, "reason": "meanwhile"})
        return real(**values)

    monkeypatch.setattr(importing, "organization_register", register_then_race)
    before = Organization.objects.count()
    with pytest.raises(ImportRefused) as exc:
        import_organizations(actor=users["admin"], data=csv_bytes(*GOOD_ROWS), filename="x.csv")
    assert [(e.line, e.column) for e in exc.value.errors] == [(3, "名称")]
    assert Organization.objects.count() == before


def test_an_implausible_date_is_a_bad_row(users, regions):
    data = csv_bytes(
        "未来队,370502001001,备案,,舞蹈,甲,,9999-12-31,无,,",
        "古老队,370502001001,备案,,舞蹈,乙,,1900-01-01,单独党支部,2999-01-01,",
    )
    with pytest.raises(ImportRefused) as exc:
        import_organizations(actor=users["admin"], data=data, filename="x.csv")
    errors = {(e.line, e.column) for e in exc.value.errors}
    assert {(2, "成立日期"), (3, "成立日期"), (3, "党建开始日期")} <= errors
