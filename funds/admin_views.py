"""The budget execution page: a table and a bar chart per child region (drill-down city →
county → township → line), with CSV and XLSX exports of what is shown."""

from decimal import Decimal

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.selectors import has_role, sees_everything
from federations.models import Region

from .api import report_file
from .models import PurchaseCategory, SourceKind
from .reports import FIGURE_LABELS, FIGURES, budget_execution
from .selectors import READER_ROLES, regions_visible_to

CHART_HEIGHT = 200
BAR = 12
CHART_FIGURES = ("budgeted", "committed", "paid", "available")
GROUP_CHOICES = [
    ("region", _("by region (drill-down)")),
    ("source_kind", _("by source kind")),
    ("source", _("by source")),
    ("category", _("by category")),
    ("line", _("by budget line")),
]


class ExecutionForm(forms.Form):
    region = forms.ModelChoiceField(queryset=Region.objects.none(), label=_("region"))
    fiscal_year = forms.IntegerField(label=_("fiscal year"), min_value=2000, max_value=2100)
    group_by = forms.ChoiceField(label=_("rows"), choices=GROUP_CHOICES, required=False)
    source_kind = forms.ChoiceField(
        label=_("source kind"), choices=[("", "—"), *SourceKind.choices], required=False
    )
    category = forms.ChoiceField(
        label=_("category"), choices=[("", "—"), *PurchaseCategory.choices], required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_visible_to(user).exclude(
            level=Region.Level.COMMUNITY
        )


def chart(rows) -> dict:
    """Grouped bars (budgeted, committed, paid, available) per row, inline SVG."""
    values = [row[f] for row in rows for f in CHART_FIGURES]
    top = max([Decimal(1), *values]) * Decimal("1.1")
    group = BAR * len(CHART_FIGURES) + 16
    bars = []
    for i, row in enumerate(rows):
        x = 50 + i * group
        for j, figure in enumerate(CHART_FIGURES):
            value = max(row[figure], Decimal(0))
            height = float(value / top * CHART_HEIGHT)
            bars.append({"x": x + j * BAR, "y": CHART_HEIGHT - height, "height": height,
                         "css": figure, "title": f"{row['label']} · "
                         f"{FIGURE_LABELS[figure]}: ¥{row[figure]:,.2f}"})  # fmt: skip
        bars[-1]["label"] = row["label"][:14]
        bars[-1]["label_x"] = x
    # The last rotated label reaches ~130 px right of its bar: room for it.
    return {"bars": bars, "width": 200 + len(rows) * group, "height": CHART_HEIGHT,
            "svg_height": CHART_HEIGHT + 110, "label_y": CHART_HEIGHT + 14, "bar": BAR - 2,
            "legend": [(f, FIGURE_LABELS[f]) for f in CHART_FIGURES]}  # fmt: skip


def may_read_execution(user) -> bool:
    return sees_everything(user) or has_role(user, *READER_ROLES)


def execution(model_admin, request):
    user = request.user
    if not may_read_execution(user):
        raise PermissionDenied
    data = request.GET.copy()
    this_year = timezone.localdate().year
    data.setdefault("fiscal_year", str(this_year))
    # Unbound on the first visit, with this year filled in (a required field left empty
    # would hold the browser's submit back).
    form = ExecutionForm(data if "region" in data else None, user=user,
                         initial={"fiscal_year": this_year})  # fmt: skip
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": gettext("Budget execution"),
        "form": form,
    }
    if form.is_valid():
        region = form.cleaned_data["region"]
        year = form.cleaned_data["fiscal_year"]
        group_by = form.cleaned_data["group_by"] or (
            "line" if region.level == Region.Level.TOWNSHIP else "region"
        )
        filters = {k: form.cleaned_data[k] for k in ("source_kind", "category")
                   if form.cleaned_data[k]}  # fmt: skip
        report = budget_execution(region, year, group_by=group_by, **filters)
        file_type = request.GET.get("export")
        if file_type in ("csv", "xlsx"):
            return report_file(region, report, file_type)
        base = {"fiscal_year": year, **filters}
        for row in report["rows"]:
            child = row.get("region")
            if group_by == "region" and row.get("drill") and child:
                row["drill_query"] = _query(base | {"region": child})
        parents = []
        node = region
        while node is not None:
            parents.insert(0, {"name": node.name, "query": _query(base | {"region": node.pk})})
            node = node.parent
        context.update(
            region=region, report=report, figures=[FIGURE_LABELS[f] for f in FIGURES],
            figure_keys=FIGURES, chart=chart(report["rows"]), trail=parents,
            query=request.GET.urlencode(),
            rows=[{"row": r, "cells": [r[f] for f in FIGURES]} for r in report["rows"]],
            totals=[report["totals"][f] for f in FIGURES],
        )  # fmt: skip
    return TemplateResponse(request, "admin/funds/execution.html", context)


def _query(params: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())
