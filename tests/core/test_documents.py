"""core.documents: the shared CSV, XLSX and PDF formats."""

import io
import re

from django.template import engines
from django.template.loader import render_to_string
from openpyxl import load_workbook

from core import documents


def test_csv_has_bom_and_keeps_chinese():
    content = documents.table_csv(["名称", "金额"], [["社区公益", "10.00"], ["空", None]])
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig").splitlines()
    assert text == ["名称,金额", "社区公益,10.00", "空,"]


def test_xlsx_title_header_and_rows():
    content = documents.table_xlsx(["名称", "金额"], [["甲", 1.5]], title="月度对账单")
    sheet = load_workbook(io.BytesIO(content)).active
    rows = [[v for v in r if v is not None] for r in sheet.iter_rows(values_only=True)]
    assert rows == [["月度对账单"], ["名称", "金额"], ["甲", 1.5]]
    assert sheet.title == "月度对账单"


def test_pdf_from_a_template_with_chinese_text(monkeypatch):
    template = engines["django"].from_string(
        '{% extends "documents/base.html" %}{% block content %}<h1>{{ title }}</h1>{% endblock %}'
    )
    monkeypatch.setattr(documents, "render_to_string",
                        lambda name, context, request=None: template.render(context))  # fmt: skip
    content = documents.template_pdf(
        "ignored.html", {"title": "公益事业捐赠票据"}, uncompressed_pdf=True)  # fmt: skip
    assert content.startswith(b"%PDF-")
    # The Chinese font is embedded: pango found a CJK face (setup.sh installs one).
    assert re.search(rb"/BaseFont\s*/\w+\+(WenQuanYi|Noto)", content)


def test_base_template_renders_its_blocks():
    html = render_to_string("documents/base.html", {})
    assert "@page" in html and "WenQuanYi" in html


def test_download_names_the_file_and_type():
    response = documents.download(b"x", "statement-2026-10", "pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="statement-2026-10.pdf"'
