"""Exports of any history query as CSV or XLSX, streamed with bounded memory.

Rows come from `history.iterate` (keyset chunks) and are written as they come: CSV to a
stream, XLSX with openpyxl's write_only workbook (rows go to a temporary file, never all
in memory). Every export starts with the hash-chain head it was taken at (sealed just
before), so a later `audit_verify --expect-head` proves the rows exported were not
rewritten since.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from decimal import Decimal

from django.core.files import File
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import chain, jobs, money
from federations.models import Region

from . import history
from .access_log import log_access
from .models import AccessLog

SYNC_LIMIT = 5000  # more rows than this: a background job


def columns() -> list[str]:
    return [
        _("Time"),
        _("Model"),
        _("Model name"),
        _("Object id"),
        _("Object"),
        _("History id"),
        _("Action"),
        _("User"),
        _("Actor"),
        _("Reason"),
        _("Changes"),
        _("Changes (JSON)"),
        _("Amount (CNY)"),
    ]


AMOUNT_COLUMN = 12  # a ledger transfer's amount: a number (in XLSX shown as ¥1,234.50)


def _amount(entry: dict) -> str:
    """The amount a ledger transfer moved, as the API's plain decimal string ('' otherwise)."""
    if entry.get("kind") != "transfer":
        return ""
    for change in entry["changes"]:
        if change["field"] == "amount" and change["new"] is not None:
            return str(change["new"])
    return ""


ACTION_LABELS = {
    "create": gettext_lazy("Created"),
    "change": gettext_lazy("Changed"),
    "delete": gettext_lazy("Deleted"),
}


def _changes_text(changes: list[dict]) -> str:
    """What a person reads (labels, names, ¥ amounts); the JSON column keeps the raw values."""
    return "; ".join(
        f"{c['label']}: {_text(c.get('old_display', c['old']))} → "
        f"{_text(c.get('new_display', c['new']))}"
        for c in changes
    )


def _text(value) -> str:
    if value is None:
        return "∅"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def flat_rows(query: history.HistoryQuery, user, progress=None):
    """One list per history entry, newest first."""
    done = 0
    tz = timezone.get_current_timezone()
    actions = {key: str(label) for key, label in ACTION_LABELS.items()}
    actions["transfer"] = str(_("Transfer"))
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for rows in history.iterate(query, user):
        for entry in history.entries(rows):
            user_info = entry["user"]
            changes = entry["changes"]
            yield [
                entry["at"].astimezone(tz).isoformat(),
                entry["model"],
                entry["model_name"],
                entry["object_id"],
                entry["object_repr"],
                entry["history_id"],
                actions.get(entry["action"], entry["action"]),
                user_info["username"] if user_info else "",
                entry["actor"],
                entry["reason"],
                _changes_text(changes),
                dumps(changes),
                _amount(entry),
            ]
        done += len(rows)
        if progress is not None:
            progress(done=done)


def head_line(head: chain.Head, query: history.HistoryQuery) -> list[str]:
    return [
        _("Audit chain head"),
        str(head),
        _("Exported at"),
        timezone.localtime().isoformat(),
        _("Query"),
        json.dumps(query.as_dict(), ensure_ascii=False),
    ]


class _Echo:
    def write(self, value):
        return value


def csv_stream(query: history.HistoryQuery, user, head: chain.Head):
    """Lines of CSV, generated as the rows are read (for a streaming response), in the
    language active now (the response is read after the request's language is gone)."""
    language = translation.get_language()

    def lines():
        with translation.override(language):
            writer = csv.writer(_Echo())
            yield "\ufeff"  # so spreadsheet programs read UTF-8
            yield writer.writerow(head_line(head, query))
            yield writer.writerow(columns())
            for row in flat_rows(query, user):
                yield writer.writerow(row)

    return lines()


def write_csv(fileobj, query, user, head, progress=None) -> int:
    writer = csv.writer(fileobj)
    fileobj.write("\ufeff")
    writer.writerow(head_line(head, query))
    writer.writerow(columns())
    count = 0
    for row in flat_rows(query, user, progress):
        writer.writerow(row)
        count += 1
    return count


def write_xlsx(path, query, user, head, progress=None) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("History")[:31])
    sheet.append(head_line(head, query))
    sheet.append(columns())
    count = 0
    for row in flat_rows(query, user, progress):
        if row[AMOUNT_COLUMN]:
            cell = WriteOnlyCell(sheet, value=Decimal(row[AMOUNT_COLUMN]))
            cell.number_format = money.XLSX_FORMAT
            row[AMOUNT_COLUMN] = cell
        sheet.append(row)
        count += 1
    workbook.save(path)
    return count


def export_to_file(fmt: str, query, user, head, progress=None):
    """(temporary file opened for reading, row count)."""
    if fmt == "xlsx":
        tmp = tempfile.NamedTemporaryFile(suffix=".xlsx")
        count = write_xlsx(tmp.name, query, user, head, progress)
        tmp.seek(0)
        return tmp, count
    tmp = tempfile.TemporaryFile(mode="w+b")
    text = io.TextIOWrapper(tmp, encoding="utf-8", newline="")
    count = write_csv(text, query, user, head, progress)
    text.flush()
    text.detach()
    tmp.seek(0)
    return tmp, count


def query_from_params(params: dict) -> history.HistoryQuery:
    """Rebuild a HistoryQuery from its as_dict() form (a job's parameters)."""
    return history.HistoryQuery(
        model=history.model_by_key(params["model"]) if params.get("model") else None,
        object_id=params.get("object_id"),
        user_id=params.get("user"),
        region=Region.objects.get(pk=params["region"]) if params.get("region") else None,
        since=parse_datetime(params["since"]) if params.get("since") else None,
        until=parse_datetime(params["until"]) if params.get("until") else None,
        actions=[history.ACTIONS[a] for a in params.get("action") or []],
    )


def _log_download(request, job) -> None:
    log_access(request, AccessLog.Action.DOWNLOAD, {"job": str(job.pk)}, job.total)


@jobs.handler("audit.export", on_download=_log_download)
def export_job(job, progress):
    query = query_from_params(job.params["query"])
    fmt = job.params.get("format", "csv")
    chain.seal()
    head = chain.head()
    progress(done=0, force=True)
    tmp, count = export_to_file(fmt, query, job.owner, head, progress)
    with tmp:
        name = f"audit-history-{timezone.localtime():%Y%m%d-%H%M%S}.{fmt}"
        job.file.save(name, File(tmp), save=False)
    job.total = count
    job.done = count
    return {"rows": count, "format": fmt, "chain_head": str(head), "file": job.file.name}
