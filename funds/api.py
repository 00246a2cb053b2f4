"""Fiscal years, funding sources, budgets, lines, adjustments, carry-forwards, and the
budget execution report. Thin: parse, call a service or selector, serialize.

Approving or rejecting is done where every approval is: `/api/v1/approvals/{id}/approve/`
(the submit actions answer the approval request they opened)."""

import django_filters
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from access.selectors import has_role, sees_everything
from core.api.filters import IntegerFilter
from core.api.serializers import MoneyField, ReasonField, StrictInputSerializer
from core.errors import NotPermitted
from federations.models import Region

from . import services
from .models import (
    ApprovalState,
    Budget,
    BudgetAdjustment,
    BudgetLine,
    CarryForward,
    FiscalYear,
    FundingSource,
    PurchaseCategory,
    SourceKind,
)
from .reports import GROUPS, budget_execution, export_csv, export_xlsx
from .selectors import (
    READER_ROLES,
    adjustments_visible_to,
    budgets_visible_to,
    carry_forwards_visible_to,
    closing_report,
    fiscal_years_visible_to,
    lines_visible_to,
    regions_visible_to,
    sources_visible_to,
)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ApprovalRequestOut(serializers.Serializer):
    approval_request = serializers.IntegerField(help_text="The approval request opened.")
    state = serializers.CharField()


def _within(queryset, name, value):
    region = Region.objects.filter(pk=value).first()
    if region is None:
        return queryset.none()
    return queryset.filter(**{f"{name}__path__startswith": region.path})


# --------------------------------------------------------------------------- fiscal years


class FiscalYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = FiscalYear
        fields = ["id", "year", "state", "closed_at", "closed_by"]


class FiscalYearInput(StrictInputSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    reason = ReasonField(required=False, allow_blank=True)


class CloseInput(StrictInputSerializer):
    reason = ReasonField()


class ClosingSourceRow(serializers.Serializer):
    source = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    region = serializers.IntegerField()
    unallocated = MoneyField(allow_zero=True)


class ClosingLineRow(serializers.Serializer):
    line = serializers.IntegerField()
    budget = serializers.IntegerField()
    region = serializers.IntegerField()
    category = serializers.CharField()
    source = serializers.IntegerField()
    unallocated = MoneyField(allow_zero=True)


class ClosingReportSerializer(serializers.Serializer):
    fiscal_year = serializers.IntegerField()
    state = serializers.CharField()
    sources = ClosingSourceRow(many=True)
    lines = ClosingLineRow(many=True)
    total_unallocated = MoneyField(allow_zero=True)


class FiscalYearViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Fiscal years (calendar years): open or closed. Administrators and city finance
    officers open and close them."""

    serializer_class = FiscalYearSerializer
    ordering_fields = ["year"]
    ordering = ["-year"]
    filterset_fields = ["state"]

    def get_queryset(self):
        return fiscal_years_visible_to(self.request.user)

    @extend_schema(request=FiscalYearInput, responses={201: FiscalYearSerializer})
    def create(self, request):
        data = FiscalYearInput(data=request.data)
        data.is_valid(raise_exception=True)
        fy = services.fiscal_year_open(actor=request.user, **data.validated_data)
        return Response(FiscalYearSerializer(fy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CloseInput, responses=FiscalYearSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        fy = self.get_object()
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        fy = services.fiscal_year_close(actor=request.user, year=fy.year, **data.validated_data)
        return Response(FiscalYearSerializer(fy).data)

    @extend_schema(responses=ClosingReportSerializer)
    @action(detail=True, methods=["get"], url_path="closing-report")
    def closing_report(self, request, pk=None):
        """Each source's and line's unallocated money in the year (in your scope)."""
        fy = self.get_object()
        return Response(ClosingReportSerializer(closing_report(fy, user=request.user)).data)


# --------------------------------------------------------------------------- sources


class FundingSourceSerializer(serializers.ModelSerializer):
    fiscal_year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    appropriated_amount = MoneyField()

    class Meta:
        model = FundingSource
        fields = [
            "id", "name", "kind", "kind_display", "fiscal_year", "region", "region_name",
            "issuer", "document_number", "document_date", "appropriated_amount",
            "allowed_categories", "requires_party_organization", "charity_only", "purpose",
            "state", "state_display", "carried_from", "account", "money_tag", "created_by",
            "created_at", "approved_at",
        ]  # fmt: skip


class SourceInput(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    fiscal_year = serializers.IntegerField(min_value=2000, max_value=2100)
    region = serializers.IntegerField(min_value=1)
    issuer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    document_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    document_date = serializers.DateField(required=False, allow_null=True)
    appropriated_amount = MoneyField()
    allowed_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=PurchaseCategory.choices), required=False,
        max_length=len(PurchaseCategory.values),
    )  # fmt: skip
    requires_party_organization = serializers.BooleanField(required=False)
    charity_only = serializers.BooleanField(required=False)
    purpose = serializers.CharField(max_length=500, required=False, allow_blank=True)
    reason = ReasonField(required=False, allow_blank=True)


class SourcePatch(SourceInput):
    kind = None
    fiscal_year = None
    region = None


class SubmitInput(StrictInputSerializer):
    reason = ReasonField(required=False, allow_blank=True)


class ReasonInput(StrictInputSerializer):
    reason = ReasonField()


class SourceFilter(django_filters.FilterSet):
    fiscal_year = IntegerFilter(field_name="fiscal_year__year")
    region = IntegerFilter(field_name="region_id")
    within = IntegerFilter(method="filter_within", label="Region subtree (a region id)")
    kind = django_filters.ChoiceFilter(choices=SourceKind.choices)
    state = django_filters.ChoiceFilter(choices=ApprovalState.choices)

    class Meta:
        model = FundingSource
        fields = ["fiscal_year", "region", "within", "kind", "state"]

    def filter_within(self, queryset, name, value):
        return _within(queryset, "region", value)


class CarryForwardSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = CarryForward
        fields = ["id", "source", "amount", "carried_into", "reason", "state", "state_display",
                  "created_by", "created_at", "decided_at"]  # fmt: skip


class FundingSourceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Funding sources in your scope (finance officers also see those above their region).
    Create as a draft, change the draft, submit it for approval; approved, the source is a
    ledger account funded from its treasury."""

    serializer_class = FundingSourceSerializer
    filterset_class = SourceFilter
    ordering_fields = ["id", "name", "appropriated_amount"]
    ordering = ["id"]

    def get_queryset(self):
        return sources_visible_to(self.request.user)

    def _out(self, source):
        return FundingSourceSerializer(self.get_queryset().get(pk=source.pk)).data

    @extend_schema(request=SourceInput, responses={201: FundingSourceSerializer})
    def create(self, request):
        data = SourceInput(data=request.data)
        data.is_valid(raise_exception=True)
        source = services.source_create(actor=request.user, **data.validated_data)
        return Response(self._out(source), status=status.HTTP_201_CREATED)

    @extend_schema(request=SourcePatch, responses=FundingSourceSerializer)
    def partial_update(self, request, pk=None):
        source = self.get_object()
        data = SourcePatch(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        source = services.source_update(
            actor=request.user, source_id=source.pk, **data.validated_data
        )
        return Response(self._out(source))

    @extend_schema(request=SubmitInput, responses={201: ApprovalRequestOut})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        source = self.get_object()
        data = SubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        req = services.source_submit(actor=request.user, source_id=source.pk, **data.validated_data)
        return Response(
            {"approval_request": req.pk, "state": req.state}, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=ReasonInput, responses={201: CarryForwardSerializer})
    @action(detail=True, methods=["post"], url_path="carry-forward")
    def carry_forward(self, request, pk=None):
        """Ask to carry the closed year's unallocated money into the next year."""
        source = self.get_object()
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        carry = services.carry_forward_request(
            actor=request.user, source_id=source.pk, **data.validated_data
        )
        return Response(CarryForwardSerializer(carry).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- budgets


class BudgetLineSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    amount = MoneyField(allow_zero=True)

    class Meta:
        model = BudgetLine
        fields = ["id", "budget", "category", "category_display", "source", "amount",
                  "description", "account"]  # fmt: skip


class BudgetSerializer(serializers.ModelSerializer):
    fiscal_year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    lines = BudgetLineSerializer(many=True, read_only=True)

    class Meta:
        model = Budget
        fields = ["id", "region", "region_name", "fiscal_year", "title", "state",
                  "state_display", "created_by", "created_at", "approved_at", "lines"]  # fmt: skip


class BudgetInput(StrictInputSerializer):
    region = serializers.IntegerField(min_value=1)
    fiscal_year = serializers.IntegerField(min_value=2000, max_value=2100)
    title = serializers.CharField(max_length=200)
    reason = ReasonField(required=False, allow_blank=True)


class BudgetFilter(django_filters.FilterSet):
    fiscal_year = IntegerFilter(field_name="fiscal_year__year")
    region = IntegerFilter(field_name="region_id")
    within = IntegerFilter(method="filter_within", label="Region subtree (a region id)")
    state = django_filters.ChoiceFilter(choices=ApprovalState.choices)

    class Meta:
        model = Budget
        fields = ["fiscal_year", "region", "within", "state"]

    def filter_within(self, queryset, name, value):
        return _within(queryset, "region", value)


class BudgetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Annual budgets of counties and townships, with their lines. Draft → submit →
    approved (each line funded from its source in the ledger) or rejected."""

    serializer_class = BudgetSerializer
    filterset_class = BudgetFilter
    ordering_fields = ["id", "title"]
    ordering = ["id"]

    def get_queryset(self):
        return budgets_visible_to(self.request.user).prefetch_related("lines")

    @extend_schema(request=BudgetInput, responses={201: BudgetSerializer})
    def create(self, request):
        data = BudgetInput(data=request.data)
        data.is_valid(raise_exception=True)
        budget = services.budget_create(actor=request.user, **data.validated_data)
        return Response(
            BudgetSerializer(self.get_queryset().get(pk=budget.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=SubmitInput, responses={201: ApprovalRequestOut})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        budget = self.get_object()
        data = SubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        req = services.budget_submit(actor=request.user, budget_id=budget.pk, **data.validated_data)
        return Response(
            {"approval_request": req.pk, "state": req.state}, status=status.HTTP_201_CREATED
        )


class LineInput(StrictInputSerializer):
    budget = serializers.IntegerField(min_value=1)
    category = serializers.ChoiceField(choices=PurchaseCategory.choices)
    source = serializers.IntegerField(min_value=1)
    amount = MoneyField()
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    reason = ReasonField(required=False, allow_blank=True)


class LinePatch(StrictInputSerializer):
    amount = MoneyField(required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    reason = ReasonField(required=False, allow_blank=True)


class LineFilter(django_filters.FilterSet):
    budget = IntegerFilter(field_name="budget_id")
    source = IntegerFilter(field_name="source_id")
    category = django_filters.ChoiceFilter(choices=PurchaseCategory.choices)
    fiscal_year = IntegerFilter(field_name="budget__fiscal_year__year")

    class Meta:
        model = BudgetLine
        fields = ["budget", "source", "category", "fiscal_year"]


class BudgetLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Budget lines. Added, changed and removed while the budget is a draft; afterwards
    they change only by approved adjustments (each one in the line's history)."""

    serializer_class = BudgetLineSerializer
    filterset_class = LineFilter
    ordering_fields = ["id", "amount"]
    ordering = ["id"]

    def get_queryset(self):
        return lines_visible_to(self.request.user)

    @extend_schema(request=LineInput, responses={201: BudgetLineSerializer})
    def create(self, request):
        data = LineInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        line = services.line_add(
            actor=request.user, budget_id=v.pop("budget"), source_id=v.pop("source"), **v
        )
        return Response(BudgetLineSerializer(line).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LinePatch, responses=BudgetLineSerializer)
    def partial_update(self, request, pk=None):
        line = self.get_object()
        data = LinePatch(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        line = services.line_update(actor=request.user, line_id=line.pk, **data.validated_data)
        return Response(BudgetLineSerializer(line).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        line = self.get_object()
        services.line_remove(actor=request.user, line_id=line.pk, reason=_("line removed"))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- adjustments


class AdjustmentSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = BudgetAdjustment
        fields = ["id", "budget", "from_line", "to_line", "amount", "reason", "state",
                  "state_display", "created_by", "created_at", "decided_at"]  # fmt: skip


class AdjustmentInput(StrictInputSerializer):
    from_line = serializers.IntegerField(min_value=1)
    to_line = serializers.IntegerField(min_value=1)
    amount = MoneyField()
    reason = ReasonField()


class AdjustmentFilter(django_filters.FilterSet):
    budget = IntegerFilter(field_name="budget_id")
    state = django_filters.ChoiceFilter(choices=ApprovalState.choices)

    class Meta:
        model = BudgetAdjustment
        fields = ["budget", "state"]


class AdjustmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """预算调剂: moving money between two lines of an approved budget, with a reason, through
    the approval engine; approved, one ledger transfer from line to line."""

    serializer_class = AdjustmentSerializer
    filterset_class = AdjustmentFilter
    ordering_fields = ["id", "amount"]
    ordering = ["-id"]

    def get_queryset(self):
        return adjustments_visible_to(self.request.user)

    @extend_schema(request=AdjustmentInput, responses={201: AdjustmentSerializer})
    def create(self, request):
        data = AdjustmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        adjustment = services.adjustment_request(
            actor=request.user,
            from_line_id=v["from_line"],
            to_line_id=v["to_line"],
            amount=v["amount"],
            reason=v["reason"],
        )
        return Response(AdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED)


class CarryForwardViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Carry-forwards (ask with POST funding-sources/{id}/carry-forward/)."""

    serializer_class = CarryForwardSerializer
    filterset_fields = ["state", "source"]
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self):
        return carry_forwards_visible_to(self.request.user)


# --------------------------------------------------------------------------- report


class ReportParams(StrictInputSerializer):
    region = serializers.IntegerField(min_value=1)
    fiscal_year = serializers.IntegerField(min_value=2000, max_value=2100)
    group_by = serializers.ChoiceField(choices=GROUPS, default="region")
    source_kind = serializers.ChoiceField(choices=SourceKind.choices, required=False)
    source = serializers.IntegerField(min_value=1, required=False)
    category = serializers.ChoiceField(choices=PurchaseCategory.choices, required=False)


class ExportParams(ReportParams):
    file_type = serializers.ChoiceField(choices=["csv", "xlsx"], default="xlsx")


class ReportTotals(serializers.Serializer):
    appropriated = MoneyField(allow_zero=True, min_value=None)
    budgeted = MoneyField(allow_zero=True, min_value=None)
    reserved = MoneyField(allow_zero=True, min_value=None)
    committed = MoneyField(allow_zero=True, min_value=None)
    paid = MoneyField(allow_zero=True, min_value=None)
    carried_forward = MoneyField(allow_zero=True, min_value=None)
    available = MoneyField(allow_zero=True, min_value=None)


class ReportRow(ReportTotals):
    key = serializers.CharField()
    label = serializers.CharField()
    region = serializers.IntegerField(required=False, allow_null=True)
    drill = serializers.BooleanField(required=False)
    source = serializers.IntegerField(required=False, allow_null=True)
    category = serializers.CharField(required=False, allow_null=True)
    line = serializers.IntegerField(required=False, allow_null=True)


class ExecutionReportSerializer(serializers.Serializer):
    region = serializers.IntegerField()
    region_name = serializers.CharField()
    fiscal_year = serializers.IntegerField()
    group_by = serializers.CharField()
    rows = ReportRow(many=True)
    totals = ReportTotals()


REPORT_PARAMETERS = [
    OpenApiParameter("region", OpenApiTypes.INT, required=True,
                     description="City, county or township (its subtree)"),
    OpenApiParameter("fiscal_year", OpenApiTypes.INT, required=True),
    OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(GROUPS),
                     description="region (drill-down: each child region), source_kind, "
                     "source, category, line"),
    OpenApiParameter("source_kind", OpenApiTypes.STR, enum=SourceKind.values),
    OpenApiParameter("source", OpenApiTypes.INT),
    OpenApiParameter("category", OpenApiTypes.STR, enum=PurchaseCategory.values),
]  # fmt: skip


def report_for(request, params_class=ReportParams):
    """Parse, check who asks (finance officers and auditors in scope, administrators;
    a region out of scope answers 404), compute."""
    user = request.user
    if not (sees_everything(user) or has_role(user, *READER_ROLES)):
        raise NotPermitted(
            _("The budget execution report is for finance officers and auditors."),
            code="role_required",
        )
    data = params_class(data=request.query_params.dict())
    data.is_valid(raise_exception=True)
    v = dict(data.validated_data)
    region = get_object_or_404(regions_visible_to(user), pk=v.pop("region"))
    if region.level == region.Level.COMMUNITY:
        raise serializers.ValidationError(
            {"region": [_("The report is by city, county or township.")]}
        )
    file_type = v.pop("file_type", None)
    report = budget_execution(region, v.pop("fiscal_year"), group_by=v.pop("group_by"), **v)
    return region, report, file_type


class BudgetExecutionView(APIView):
    """预算执行情况: appropriated, budgeted, reserved, committed, paid, carried forward and
    available, from the ledger, for a region's subtree and a year, grouped by child region
    (drill-down), source kind, source, category or line."""

    @extend_schema(
        parameters=REPORT_PARAMETERS,
        responses=ExecutionReportSerializer,
        operation_id="reports_budget_execution",
    )
    def get(self, request):
        _region, report, _ft = report_for(request)
        return Response(ExecutionReportSerializer(report).data)


class BudgetExecutionExportView(APIView):
    """The same report as a CSV or XLSX file."""

    @extend_schema(
        parameters=[*REPORT_PARAMETERS,
                    OpenApiParameter("file_type", OpenApiTypes.STR, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): OpenApiTypes.BINARY,
                   (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY},
        operation_id="reports_budget_execution_export",
    )  # fmt: skip
    def get(self, request):
        region, report, file_type = report_for(request, ExportParams)
        return report_file(region, report, file_type)


def report_file(region, report, file_type: str) -> HttpResponse:
    name = f"budget-execution-{region.code}-{report['fiscal_year']}-{report['group_by']}"
    if file_type == "csv":
        response = HttpResponse(export_csv(report), content_type="text/csv; charset=utf-8")
    else:
        title = _("Budget execution: %(region)s, %(year)s") % {
            "region": region.name, "year": report["fiscal_year"]}  # fmt: skip
        response = HttpResponse(export_xlsx(report, title=title), content_type=XLSX_MEDIA_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_type}"'
    return response
