"""The public disclosure page (no login, no personal data): a fiscal year's purchases."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from core.money import yuan

from . import disclosure


def disclosure_page(request, year: int | None = None):
    year = year or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise Http404
    rows = disclosure.rows(year)
    for row in rows:
        row["amount_display"] = yuan(row["amount"])
    total = sum((r["amount"] for r in rows), 0)
    return render(
        request,
        "projects/disclosure.html",
        {"year": year, "rows": rows, "total": yuan(total) if rows else yuan(0)},
    )
