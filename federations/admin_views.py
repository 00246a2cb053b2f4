"""Admin pages beyond the model lists: policy-target progress and the register import."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.context import acting_as
from core.errors import DomainError

from .importing import ImportRefused, import_organizations, template_csv, template_xlsx
from .models import Region
from .reports import COLUMNS, MET_KEYS, REPORT_LEVELS, target_progress
from .selectors import regions_visible_to

CHART_HEIGHT = 220
CHART_BAR = 18
CHART_LABEL_ROOM = 140


def _context(model_admin, request, title, **extra):
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        **extra,
    }


class TargetForm(forms.Form):
    region = forms.ModelChoiceField(queryset=Region.objects.none(), label=_("region"))
    on = forms.DateField(
        label=_("staff counted on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text=_("A date as YYYY-MM-DD (the browser offers a calendar); empty: today."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_visible_to(user).filter(level__in=REPORT_LEVELS)

    def widest_region(self):
        """The user's own scope: the highest region it may report on (None: none)."""
        regions = list(self.fields["region"].queryset)
        return min(regions, key=lambda r: (len(r.path), r.path)) if regions else None


def chart(rows, region):
    """Bars for each county (or township) directly under `region`: average organizations per
    urban and per rural community, against the targets 10 and 5 (inline SVG, no script)."""
    children = [r for r in rows if r["parent_id"] == region.pk] or [
        r for r in rows if r["id"] == region.pk
    ]
    values = [v for r in children for v in (r["urban_average"], r["rural_average"]) if v]
    top = max([Decimal(12), *values]) * Decimal("1.1")

    def y(v):
        return float(CHART_HEIGHT - (Decimal(v or 0) / top) * CHART_HEIGHT)

    group = CHART_BAR * 2 + 14
    bars = []
    for i, r in enumerate(children):
        x = 40 + i * group
        for j, (key, met_key, css) in enumerate(
            [
                ("urban_average", "urban_average_met", "urban"),
                ("rural_average", "rural_average_met", "rural"),
            ]
        ):
            value = r[key]
            top_y = y(value)
            bars.append(
                {
                    "x": x + j * CHART_BAR,
                    "y": top_y,
                    "height": CHART_HEIGHT - top_y,
                    "css": css,
                    "met": r[met_key],
                    "value": "—" if value is None else value,
                    "label": r["name"] if j == 0 else "",
                    "label_x": x + CHART_BAR,
                }
            )
    return {
        "bars": bars,
        # Room on the right for the last label, drawn at 35° past its bars.
        "width": 60 + len(children) * group + CHART_LABEL_ROOM,
        "height": CHART_HEIGHT,
        "urban_y": y(10),
        "rural_y": y(5),
        "bar": CHART_BAR - 2,
        "label_y": CHART_HEIGHT + 14,
        "svg_height": CHART_HEIGHT + 90,
    }


def targets(model_admin, request):
    form = TargetForm(request.GET or None, user=request.user)
    if not form.is_bound:
        # Opened from the menu: the report of the user's own scope, not a blank page.
        region = form.widest_region()
        if region is not None:
            form = TargetForm({"region": region.pk}, user=request.user)
    context = _context(model_admin, request, gettext("Policy-target progress"), form=form)
    if form.is_valid():
        region = form.cleaned_data["region"]
        on = form.cleaned_data["on"] or timezone.localdate()
        file_type = request.GET.get("export")
        if file_type in ("csv", "xlsx"):
            from .api import target_report_file

            return target_report_file(region, on=on, file_type=file_type)
        rows = target_progress(region, on=on)
        display = []
        for r in rows:
            cells = []
            for key, _label in COLUMNS:
                value = r[key]
                if key == "level":
                    value = Region.Level(value).label
                cells.append({"value": "—" if value is None else value, "met": key in MET_KEYS})
            display.append({"row": r, "cells": cells})
        context.update(
            region=region,
            on=on,
            columns=[label for _key, label in COLUMNS],
            rows=display,
            chart=chart(rows, region),
            query=request.GET.urlencode(),
        )
    return TemplateResponse(request, "admin/federations/targets.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("register file (.xlsx or .csv)"))
    reason = forms.CharField(label=_("reason"), required=False, max_length=500)


def import_register(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with acting_as(user=request.user, label=f"import:{upload.name}"[:150]):
                result = import_organizations(
                    actor=request.user,
                    data=upload.read(),
                    filename=upload.name,
                    reason=form.cleaned_data["reason"],
                )
        except ImportRefused as exc:
            errors = exc.errors
            messages.error(request, str(exc.detail))
        except DomainError as exc:
            messages.error(request, str(exc.detail))
        else:
            messages.success(
                request, gettext("%(n)d organizations imported.") % {"n": result.created}
            )
            return HttpResponseRedirect(reverse("admin:federations_organization_changelist"))
    context = _context(
        model_admin, request, gettext("Import organizations from a register"), form=form
    )
    context["errors"] = errors
    return TemplateResponse(request, "admin/federations/import.html", context)


def import_template(model_admin, request, file_type):
    if file_type == "xlsx":
        response = HttpResponse(
            template_xlsx(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif file_type == "csv":
        response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="organization-register.{file_type}"'
    return response
