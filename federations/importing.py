"""Import organizations from a register (XLSX or CSV) with Chinese column headers.

All or nothing: every row is validated first; on any bad row nothing is imported and
`ImportRefused` lists each bad row with its line, column and reason: the first
MAX_LISTED_ERRORS of them and the count in the answer, and when there are more, the full
list as a CSV file offered through a background job (/api/v1/jobs/{id}/download/). Then, in
one transaction, each row is registered through `services.organization_register`, exactly
as if it had been registered by hand (its categories, its history, and, imported by a
federation's staff, its membership of that federation).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.models import Role
from access.permissions import require_role
from core import jobs
from core.errors import DomainError, InvalidInput

from .models import Category, Federation, Organization, Region
from .services import organization_register, registry_paths

MAX_ROWS = 100_000
# An answer lists at most this many errors (100,000 bad rows made a 30 MB answer).
MAX_LISTED_ERRORS = 1_000
ERROR_LIST_JOB = "federations.import_errors"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool
    help: str


COLUMNS = [
    Column("名称", "name", True, "社区社会组织全称"),
    Column("社区代码", "community", True, "所属社区（村）的12位区划代码"),
    Column("法律地位", "legal_status", True, "社会团体、民办非企业单位、基金会或备案"),
    Column("统一社会信用代码", "credit_code", False, "18位，登记的法人组织必填"),
    Column("类别", "categories", True, "一个或多个，用“、”分隔，见“类别”一栏"),
    Column("负责人", "representative_name", True, "负责人姓名"),
    Column("负责人电话", "representative_phone", False, "手机或固定电话"),
    Column("负责人身份证号", "representative_id_number", False, "18位公民身份号码"),
    Column("成立日期", "founded_on", True, "如 2021-05-01"),
    Column("党建情况", "party_form", False, "单独党支部、联合党支部、党建指导员或无（默认无）"),
    Column("党建开始日期", "party_established_on", False, "有党建的必填"),
    Column("党建结束日期", "party_ended_on", False, "党组织撤销时填写"),
    Column("品牌认定年份", "brand_year", False, "品牌社区社会组织的认定年份，如 2023"),
    Column("状态", "state", False, "正常、暂停活动或已注销（默认正常）"),
]
BY_HEADER = {c.header: c for c in COLUMNS}
HEADER_OF = {c.field: c.header for c in COLUMNS}
# What each valid row gives `organization_register` (besides community and categories).
REGISTER_FIELDS = (
    "name",
    "legal_status",
    "credit_code",
    "representative_name",
    "representative_phone",
    "representative_id_number",
    "founded_on",
    "party_form",
    "party_established_on",
    "party_ended_on",
    "is_brand",
    "brand_year",
    "state",
)

LEGAL_STATUS_WORDS = {
    "社会团体": Organization.LegalStatus.SOCIAL_GROUP,
    "民办非企业单位": Organization.LegalStatus.PRIVATE_NON_ENTERPRISE,
    "社会服务机构": Organization.LegalStatus.PRIVATE_NON_ENTERPRISE,
    "基金会": Organization.LegalStatus.FOUNDATION,
    "备案": Organization.LegalStatus.FILED,
}
PARTY_WORDS = {
    "单独党支部": Organization.PartyForm.OWN_BRANCH,
    "联合党支部": Organization.PartyForm.JOINT_BRANCH,
    "党建指导员": Organization.PartyForm.INSTRUCTOR,
    "无": Organization.PartyForm.NONE,
}
STATE_WORDS = {
    "正常": Organization.State.ACTIVE,
    "暂停活动": Organization.State.SUSPENDED,
    "已注销": Organization.State.DISSOLVED,
}
CATEGORY_SPLIT = re.compile(r"[、,，;；/\n]+")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "reason": self.reason}


class ImportRefused(InvalidInput):
    """`errors` holds every error; the answer's fields list the first MAX_LISTED_ERRORS,
    `error_count` all of them, and `errors_job` the job offering the full list, if any."""

    code = "import_refused"

    def __init__(self, errors: list[RowError], *, full_list: jobs.Job | None = None):
        self.errors = errors
        self.full_list = full_list
        lines = sorted({e.line for e in errors})
        detail = _("Nothing was imported: %(n)d bad row(s) (lines %(lines)s).") % {
            "n": len(lines),
            "lines": ", ".join(map(str, lines[:20])),
        }
        fields = {
            "rows": [e.as_dict() for e in errors[:MAX_LISTED_ERRORS]],
            "error_count": [str(len(errors))],
        }
        if full_list is not None:
            detail += " " + _(
                "The first %(listed)d of %(count)d errors are listed; download them all from "
                "job %(job)s."
            ) % {"listed": MAX_LISTED_ERRORS, "count": len(errors), "job": full_list.pk}
            fields["errors_job"] = [str(full_list.pk)]
        super().__init__(detail, fields=fields)


def _offer_full_list(actor, errors: list[RowError]) -> jobs.Job | None:
    """Past MAX_LISTED_ERRORS: the full list as a CSV file, through a job its actor owns."""
    if len(errors) <= MAX_LISTED_ERRORS or not getattr(actor, "pk", None):
        return None
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("line"), _("column"), _("reason")])
    writer.writerows((e.line, e.column, e.reason) for e in errors)
    name = default_storage.save(
        "jobs/import-errors/errors.csv", ContentFile(("\ufeff" + out.getvalue()).encode())
    )
    return jobs.start(
        kind=ERROR_LIST_JOB, owner=actor, params={"file": name, "errors": len(errors)}
    )


@jobs.handler(ERROR_LIST_JOB)
def _attach_error_list(job, progress):
    job.file.name = job.params["file"]
    return {"rows": job.params["errors"], "file": job.file.name}


@dataclass
class ImportResult:
    created: int


def _choices(words: dict, choices) -> dict:
    """Codes, labels in every language, and the register's own words → value."""
    mapping = dict(words)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for value, label in choices:
                mapping[value] = value
                mapping[str(label)] = value
    return mapping


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(_("Not a date (for example 2021-05-01): %(v)s") % {"v": text})


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, list]]:
    """(line number, cells) of every row, the header row first (line 1)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is bad input
            raise InvalidInput(
                _("Not a readable XLSX file."), fields={"file": [str(exc)[:200]]}
            ) from exc
        ws = wb.worksheets[0]
        for line, cells in enumerate(ws.iter_rows(values_only=True), 1):
            yield line, list(cells)
        wb.close()
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")  # Excel's Chinese CSV
        reader = csv.reader(io.StringIO(text))
        for cells in reader:
            yield reader.line_num, cells
    else:
        raise InvalidInput(
            _("Upload an .xlsx or .csv file."),
            fields={"file": [_("Upload an .xlsx or .csv file.")]},
        )


def _allowed_paths(actor) -> list[str] | None:
    """Township paths the actor may import into (None: anywhere)."""
    require_role(actor, Role.FEDERATION_STAFF)
    return registry_paths(actor)


def import_organizations(
    *,
    actor,
    data: bytes,
    filename: str,
    reason: str = "",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Validate every row, then import all of them in one transaction, or none."""
    allowed_paths = _allowed_paths(actor)
    progress = progress or (lambda n: None)
    rows = read_rows(data, filename)
    header_line, header = next(rows, (1, []))
    errors: list[RowError] = []
    headers = [_text(h) for h in header]
    for h in headers:
        if h and h not in BY_HEADER:
            errors.append(RowError(header_line, h, _("Unknown column.")))
    for column in COLUMNS:
        if column.required and column.header not in headers:
            errors.append(RowError(header_line, column.header, _("Required column missing.")))
    if errors:
        raise ImportRefused(errors)
    index = {h: i for i, h in enumerate(headers) if h}

    # One query for every community (with its path): no per-row lookups while validating.
    communities = {
        r.code: r
        for r in Region.objects.filter(level=Region.Level.COMMUNITY).only(
            "id", "code", "path", "level", "area_type", "parent_id", "name"
        )
    }
    taken_codes = set(
        Organization.objects.exclude(credit_code="").values_list("credit_code", flat=True)
    ) | set(Federation.objects.exclude(credit_code="").values_list("credit_code", flat=True))
    taken_names = set(Organization.objects.values_list("community_id", "name"))
    legal = _choices(LEGAL_STATUS_WORDS, Organization.LegalStatus.choices)
    party = _choices(PARTY_WORDS, Organization.PartyForm.choices)
    states = _choices(STATE_WORDS, Organization.State.choices)
    categories_by_word = _choices({}, Category.choices)

    seen_codes: dict[str, int] = {}
    seen_names: dict[tuple, int] = {}
    valid: list[tuple[int, dict]] = []
    count = 0
    for line, cells in rows:
        if not any(_text(c) for c in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            raise InvalidInput(
                _("At most %(n)d rows per file.") % {"n": MAX_ROWS},
                fields={"file": [_("Too many rows.")]},
            )
        row_errors: list[RowError] = []

        def cell(header, cells=cells):
            i = index.get(header)
            return cells[i] if i is not None and i < len(cells) else None

        def bad(field, reason, line=line, row_errors=row_errors):
            row_errors.append(RowError(line, HEADER_OF.get(field, ""), str(reason)))

        org = Organization()
        row_categories: list[str] = []
        failed: set[str] = set()
        for column in COLUMNS:
            raw = cell(column.header)
            text = _text(raw)
            field = column.field
            if not text:
                if column.required:
                    bad(field, _("Required."))
                    failed.add(field)
                continue
            try:
                if field == "community":
                    found = communities.get(text)
                    if found is None:
                        raise ValueError(_("No community or village with this code."))
                    if allowed_paths is not None and not any(
                        found.path.startswith(p) for p in allowed_paths
                    ):
                        raise ValueError(_("Not in a township your federation serves."))
                    org.community = found
                elif field == "legal_status":
                    org.legal_status = _lookup(legal, text)
                elif field == "party_form":
                    org.party_form = _lookup(party, text)
                elif field == "state":
                    org.state = _lookup(states, text)
                elif field == "categories":
                    words = [w.strip() for w in CATEGORY_SPLIT.split(text) if w.strip()]
                    row_categories = list(
                        dict.fromkeys(_lookup(categories_by_word, w) for w in words)
                    )
                elif field in ("founded_on", "party_established_on", "party_ended_on"):
                    setattr(org, field, _date(raw))
                elif field == "brand_year":
                    if not text.isdigit():
                        raise ValueError(_("A year, for example 2023."))
                    org.brand_year = int(text)
                    org.is_brand = True
                elif field == "credit_code":
                    org.credit_code = text.upper()
                else:
                    setattr(org, field, text)
            except ValueError as exc:
                bad(field, exc)
                failed.add(field)
        try:
            org.full_clean(
                # The community was looked up above (no query per row for the foreign key).
                exclude=["community", *(f for f in failed if f != "categories")],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in failed:
                    continue
                for message in messages:
                    bad(field if field != "__all__" else "", message)
        if org.credit_code and "credit_code" not in failed:
            if org.credit_code in taken_codes:
                bad("credit_code", _("Already registered."))
            elif org.credit_code in seen_codes:
                bad(
                    "credit_code",
                    _("Also on line %(line)d.") % {"line": seen_codes[org.credit_code]},
                )
            else:
                seen_codes[org.credit_code] = line
        if org.community_id and org.name:
            key = (org.community_id, org.name)
            if key in taken_names:
                bad("name", _("An organization of this name is already registered there."))
            elif key in seen_names:
                bad("name", _("Also on line %(line)d.") % {"line": seen_names[key]})
            else:
                seen_names[key] = line
        if row_errors:
            errors.extend(row_errors)
        else:
            values = {f: getattr(org, f) for f in REGISTER_FIELDS}
            values.update(community_id=org.community_id, categories=row_categories)
            valid.append((line, values))
        progress(1)
    if errors:
        raise ImportRefused(errors, full_list=_offer_full_list(actor, errors))
    if not valid:
        raise InvalidInput(_("The file has no rows."), fields={"file": [_("No rows.")]})
    reason = reason or _("imported from %(file)s") % {"file": filename[:100]}
    with transaction.atomic():
        for line, values in valid:
            try:
                organization_register(actor=actor, reason=reason, **values)
            except DomainError as exc:
                # A rule only the service sees (or a row registered meanwhile): the whole
                # import is rolled back, and the row named.
                raise ImportRefused(_row_errors(line, exc)) from exc
            progress(1)
    return ImportResult(created=len(valid))


def _row_errors(line: int, exc: DomainError) -> list[RowError]:
    errors = [
        RowError(line, HEADER_OF.get(field.removesuffix("_id"), ""), str(message))
        for field, messages in (exc.fields or {}).items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]
    return errors or [RowError(line, "", str(exc.detail))]


def _lookup(mapping: dict, text: str) -> str:
    try:
        return mapping[text]
    except KeyError:
        raise ValueError(_("Unknown value: %(v)s") % {"v": text}) from None


def count_rows(data: bytes, filename: str) -> int:
    return max(0, sum(1 for _line, cells in read_rows(data, filename) if any(cells)) - 1)


def template_xlsx() -> bytes:
    """An empty register with the headers, and a sheet explaining each column and value."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "社区社会组织"
    ws.append([c.header for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, _c in enumerate(COLUMNS):
        ws.column_dimensions[ws.cell(1, i + 1).column_letter].width = 18
    guide = wb.create_sheet("填写说明")
    guide.append(["列名", "必填", "说明"])
    for c in COLUMNS:
        guide.append([c.header, "是" if c.required else "否", c.help])
    guide.append([])
    guide.append(["类别（可多选）"])
    for value, label in Category.choices:
        guide.append([str(label), value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    return ("\ufeff" + ",".join(c.header for c in COLUMNS) + "\r\n").encode("utf-8")


TEMPLATE_NAME = gettext_lazy("organization-register-template")
