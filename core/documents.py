"""Documents people download: CSV, XLSX and PDF from rows or a template, and the response.

One place for the formats, so every report, statement and receipt looks and opens the same:

    table_csv(header, rows) -> bytes          # UTF-8 with a BOM: Excel opens Chinese correctly
    stream_csv(header, rows) -> chunks        # the same, chunk by chunk (streaming_download)
    table_xlsx(header, rows, title=...) -> bytes
    template_pdf("escrow/statement.html", context) -> bytes
    download(content, filename, file_type)   # HttpResponse with type and attachment name

PDFs are drawn by WeasyPrint from HTML. `templates/documents/base.html` sets the page (A4, margins,
page numbers) and a Chinese font that Debian ships (installed by scripts/setup.sh), so a template
extends it and only writes its content. Nothing here fetches over the network: a template's
resources are local.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _cell(value):
    return "" if value is None else value


def table_csv(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def stream_csv(header: Sequence, rows: Iterable[Sequence], *, batch: int = 500):
    """The same CSV as table_csv, yielded in chunks of `batch` rows (memory stays flat
    whatever the row count): for `streaming_download`."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow([str(h) for h in header])
    for n, row in enumerate(rows, 1):
        writer.writerow([_cell(v) for v in row])
        if n % batch == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def table_xlsx(header: Sequence, rows: Iterable[Sequence], *, title: str = "") -> bytes:
    """A one-sheet workbook (write-only: rows stream to a temporary file). A title, when given,
    is the first row and the sheet's name (cut to Excel's 31 characters)."""
    from openpyxl import Workbook  # heavy; only exports need it (a library, not a project app)

    book = Workbook(write_only=True)
    sheet = book.create_sheet((str(title) or "Sheet1")[:31])
    if title:
        sheet.append([str(title)])
    sheet.append([str(h) for h in header])
    for row in rows:
        sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_pdf(template_name: str, context: dict, *, request=None, **options) -> bytes:
    """Render an HTML template (extending documents/base.html) to PDF bytes; `options` go to
    WeasyPrint's write_pdf (tests read fonts with uncompressed_pdf=True)."""
    from weasyprint import HTML  # heavy import (pango); only PDF downloads pay it

    html = render_to_string(template_name, context, request=request)
    return HTML(string=html, base_url=None).write_pdf(**options)


def streaming_download(chunks, filename: str, file_type: str) -> StreamingHttpResponse:
    """Chunks (e.g. from stream_csv) as an attachment, sent as they are made."""
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[file_type])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_type}"'
    return response


def download(content: bytes, filename: str, file_type: str) -> HttpResponse:
    """The file as an attachment; `filename` without its extension (ASCII: codes, not names)."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_type])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_type}"'
    return response
