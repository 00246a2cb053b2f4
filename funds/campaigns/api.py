"""Crowdfunding API: campaigns, donations, receipts, charity funds and fundraising holders.
Thin: parse, call a service or selector, serialize. Approving a campaign or a fund is done
where every approval is (`/api/v1/approvals/{id}/approve/`)."""

import django_filters
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from access.selectors import has_role, sees_everything
from core import uploads
from core.api.filters import IntegerFilter
from core.api.jobs import job_data
from core.api.schema import PRIVATE_FILE_RESPONSES
from core.api.serializers import MoneyField, ReasonField, StrictInputSerializer
from core.errors import InvalidInput, NotPermitted
from core.uploads import serve_private

from ..api import ApprovalRequestOut, _within
from ..models import PurchaseCategory
from ..selectors import READER_ROLES
from . import services
from .documents import receipt_data, receipt_pdf, statement_csv, statement_pdf
from .models import (
    Campaign,
    CampaignState,
    Channel,
    CharityFund,
    CharityFundState,
    Donation,
    DonationState,
    DonorType,
    Holder,
    HolderKind,
    Nature,
    OutcomeRule,
    Receipt,
    ReceiptState,
)
from .selectors import (
    PUBLIC_STATES,
    campaigns_visible_to,
    charity_funds_visible_to,
    donations_visible_to,
    donor_statement,
    holders_visible_to,
    public_figures,
    receipts_visible_to,
    with_totals,
)

PDF = "application/pdf"


class CrowdReasonInput(StrictInputSerializer):
    reason = ReasonField()


class CrowdStepInput(StrictInputSerializer):
    reason = ReasonField(required=False, allow_blank=True)


# --------------------------------------------------------------------------- holders


class HolderSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    may_issue_receipts = serializers.BooleanField(read_only=True)

    class Meta:
        model = Holder
        fields = ["id", "name", "kind", "kind_display", "federation", "organization", "region",
                  "credit_code", "receipt_qualification", "may_issue_receipts",
                  "fundraising_certificate", "fundraising_authority", "fundraising_valid_from",
                  "fundraising_valid_until", "is_active", "created_at"]  # fmt: skip


class HolderInput(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=HolderKind.choices)
    region = serializers.IntegerField(min_value=1)
    federation = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    organization = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True)
    receipt_qualification = serializers.CharField(max_length=200, required=False,
                                                  allow_blank=True)  # fmt: skip
    fundraising_certificate = serializers.CharField(max_length=100, required=False,
                                                    allow_blank=True)  # fmt: skip
    fundraising_authority = serializers.CharField(max_length=200, required=False,
                                                  allow_blank=True)  # fmt: skip
    fundraising_valid_from = serializers.DateField(required=False, allow_null=True)
    fundraising_valid_until = serializers.DateField(required=False, allow_null=True)
    reason = ReasonField(required=False, allow_blank=True)


class HolderFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=HolderKind.choices)
    region = IntegerFilter(field_name="region_id")

    class Meta:
        model = Holder
        fields = ["kind", "region"]


class HolderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Who may hold donated money (募捐主体): charitable organizations (receipts; with a
    public-fundraising qualification, community charity funds), federations and
    organizations with legal personality (receipts only with that qualification)."""

    serializer_class = HolderSerializer
    filterset_class = HolderFilter
    ordering_fields = ["id", "name"]
    ordering = ["id"]

    def get_queryset(self):
        return holders_visible_to(self.request.user)

    @extend_schema(request=HolderInput, responses={201: HolderSerializer})
    def create(self, request):
        data = HolderInput(data=request.data)
        data.is_valid(raise_exception=True)
        holder = services.holder_create(actor=request.user, **data.validated_data)
        return Response(HolderSerializer(holder).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- campaigns


class CampaignSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    outcome_rule_display = serializers.CharField(source="get_outcome_rule_display",
                                                 read_only=True)  # fmt: skip
    region = serializers.IntegerField(source="source.region_id", read_only=True)
    region_name = serializers.CharField(source="source.region.name", read_only=True)
    holder_name = serializers.CharField(source="holder.name", read_only=True)
    account = serializers.IntegerField(source="source.account_id", read_only=True,
                                       allow_null=True)  # fmt: skip
    target_amount = MoneyField()
    raised = MoneyField(allow_zero=True, read_only=True)
    donation_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "title", "purpose", "source", "region", "region_name", "holder",
                  "holder_name", "target_amount", "raised", "donation_count", "starts_on",
                  "ends_on", "outcome_rule", "outcome_rule_display", "category", "project_ref",
                  "state", "state_display", "account", "refund_job", "created_by",
                  "created_at", "approved_at", "closed_at"]  # fmt: skip


class CampaignInput(StrictInputSerializer):
    region = serializers.IntegerField(min_value=1)
    holder = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200)
    purpose = serializers.CharField(max_length=500)
    target_amount = MoneyField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    outcome_rule = serializers.ChoiceField(choices=OutcomeRule.choices)
    category = serializers.ChoiceField(choices=PurchaseCategory.choices)
    reason = ReasonField(required=False, allow_blank=True)


class CampaignPatch(CampaignInput):
    region = None
    holder = None


class CampaignFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=CampaignState.choices)
    outcome_rule = django_filters.ChoiceFilter(choices=OutcomeRule.choices)
    category = django_filters.ChoiceFilter(choices=PurchaseCategory.choices)
    holder = IntegerFilter(field_name="holder_id")
    within = IntegerFilter(method="filter_within", label="Region subtree (a region id)")

    class Meta:
        model = Campaign
        fields = ["state", "outcome_rule", "category", "holder", "within"]

    def filter_within(self, queryset, name, value):
        return _within(queryset, "source__region", value)


class CampaignStateOut(CampaignSerializer):
    job = serializers.JSONField(read_only=True, allow_null=True)

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "job"]


class PublicByType(serializers.Serializer):
    donor_type = serializers.CharField()
    count = serializers.IntegerField()
    amount = MoneyField(allow_zero=True)


class PublicGift(serializers.Serializer):
    donor = serializers.CharField()
    donor_type = serializers.CharField()
    amount = MoneyField()
    donated_on = serializers.DateField()
    sponsorship = serializers.BooleanField()


class PublicFigures(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    purpose = serializers.CharField()
    holder = serializers.CharField()
    state = serializers.CharField()
    target_amount = MoneyField()
    raised = MoneyField(allow_zero=True)
    sponsorship = MoneyField(allow_zero=True)
    donations = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    by_donor_type = PublicByType(many=True)
    latest = PublicGift(many=True)


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """社会众筹: crowdfunding campaigns in your scope. Draft → submit (approval engine) →
    approved → open → close (succeeded, or failed: an all-or-nothing campaign refunds every
    donation in a background job) or cancel. `public/` is what anyone may read."""

    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    ordering_fields = ["id", "title", "target_amount", "starts_on", "ends_on"]
    ordering = ["-id"]

    def get_queryset(self):
        return with_totals(campaigns_visible_to(self.request.user))

    def _out(self, campaign, code=status.HTTP_200_OK, request=None):
        data = CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data
        if request is not None:
            job = campaign.refund_job
            data["job"] = job_data(request, job) if job else None
        return Response(data, status=code)

    @extend_schema(request=CampaignInput, responses={201: CampaignSerializer})
    def create(self, request):
        data = CampaignInput(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_create(actor=request.user, **data.validated_data)
        return self._out(campaign, status.HTTP_201_CREATED)

    @extend_schema(request=CampaignPatch, responses=CampaignSerializer)
    def partial_update(self, request, pk=None):
        campaign = self.get_object()
        data = CampaignPatch(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_update(
            actor=request.user, campaign_id=campaign.pk, **data.validated_data
        )
        return self._out(campaign)

    @extend_schema(request=CrowdStepInput, responses={201: ApprovalRequestOut})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        campaign = self.get_object()
        data = CrowdStepInput(data=request.data)
        data.is_valid(raise_exception=True)
        req = services.campaign_submit(
            actor=request.user, campaign_id=campaign.pk, **data.validated_data
        )
        return Response({"approval_request": req.pk, "state": req.state}, status=201)

    @extend_schema(request=CrowdStepInput, responses=CampaignSerializer)
    @action(detail=True, methods=["post"], url_path="open")
    def open_campaign(self, request, pk=None):
        campaign = self.get_object()
        data = CrowdStepInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.campaign_open(actor=request.user, campaign_id=campaign.pk,
                               **data.validated_data)  # fmt: skip
        return self._out(campaign)

    @extend_schema(request=CrowdStepInput, responses=CampaignStateOut)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close by the outcome rule; a failed all-or-nothing campaign answers the refund
        job (`job`, followed at /api/v1/jobs/{id}/)."""
        campaign = self.get_object()
        data = CrowdStepInput(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.campaign_close(actor=request.user, campaign_id=campaign.pk,
                                           **data.validated_data)  # fmt: skip
        return self._out(campaign, request=request)

    @extend_schema(request=CrowdReasonInput, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        campaign = self.get_object()
        data = CrowdReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.campaign_cancel(actor=request.user, campaign_id=campaign.pk,
                                 **data.validated_data)  # fmt: skip
        return self._out(campaign)

    @extend_schema(request=CrowdStepInput, responses={202: CampaignStateOut})
    @action(detail=True, methods=["post"], url_path="refund-all")
    def refund_all(self, request, pk=None):
        """Start the refund job of a failed all-or-nothing campaign again (it refunds only
        what is not refunded yet)."""
        campaign = self.get_object()
        data = CrowdStepInput(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = services.refund_campaign_again(actor=request.user, campaign_id=campaign.pk,
                                                  **data.validated_data)  # fmt: skip
        return self._out(campaign, status.HTTP_202_ACCEPTED, request=request)

    @extend_schema(responses=PublicFigures, auth=[], operation_id="campaigns_public_retrieve")
    @action(detail=True, methods=["get"], permission_classes=[AllowAny],
            authentication_classes=[])  # fmt: skip
    def public(self, request, pk=None):
        """Public figures of an open or closed campaign, for anyone: the target, what was
        raised, counts by donor type, the latest gifts (anonymous donors unnamed)."""
        campaign = get_object_or_404(
            Campaign.objects.select_related("holder").filter(state__in=PUBLIC_STATES),
            pk=pk if str(pk).isdigit() else None,
        )
        return Response(PublicFigures(public_figures(campaign)).data)


# --------------------------------------------------------------------------- donations


class DonationSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    donor_type_display = serializers.CharField(source="get_donor_type_display", read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    nature_display = serializers.CharField(source="get_nature_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    holder_name = serializers.CharField(source="holder.name", read_only=True)

    class Meta:
        model = Donation
        fields = ["id", "campaign", "fund", "source", "holder", "holder_name", "donor_type",
                  "donor_type_display", "donor_name", "donor_identifier", "anonymous",
                  "amount", "channel", "channel_display", "channel_reference", "donated_on",
                  "nature", "nature_display", "benefit", "state", "state_display",
                  "idempotency_key", "transfer", "refund_transfer", "refunded_at",
                  "refund_reason", "recorded_by", "recorded_at"]  # fmt: skip


class DonationInput(StrictInputSerializer):
    idempotency_key = serializers.CharField(max_length=100, help_text="Retries send the same key.")
    campaign = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    fund = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    donor_type = serializers.ChoiceField(choices=DonorType.choices)
    donor_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    donor_identifier = serializers.CharField(max_length=32, required=False, allow_blank=True)
    anonymous = serializers.BooleanField(required=False)
    amount = MoneyField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    channel_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    donated_on = serializers.DateField()
    nature = serializers.ChoiceField(choices=Nature.choices, required=False)
    benefit = serializers.CharField(max_length=300, required=False, allow_blank=True)
    reason = ReasonField(required=False, allow_blank=True)


class DonationFilter(django_filters.FilterSet):
    campaign = IntegerFilter(field_name="campaign_id")
    fund = IntegerFilter(field_name="fund_id")
    donor_type = django_filters.ChoiceFilter(choices=DonorType.choices)
    nature = django_filters.ChoiceFilter(choices=Nature.choices)
    state = django_filters.ChoiceFilter(choices=DonationState.choices)
    donated_from = django_filters.DateFilter(field_name="donated_on", lookup_expr="gte")
    donated_until = django_filters.DateFilter(field_name="donated_on", lookup_expr="lte")

    class Meta:
        model = Donation
        fields = ["campaign", "fund", "donor_type", "nature", "state"]


class ReceiptSerializer(serializers.ModelSerializer):
    number_display = serializers.CharField(source="display_number", read_only=True)
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    amount = MoneyField()
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Receipt
        fields = ["id", "number_display", "issuer", "issuer_name", "year", "number",
                  "donation", "amount", "donor_name", "donor_identifier", "state",
                  "state_display", "issued_at", "issued_by", "voided_at",
                  "void_reason"]  # fmt: skip


class StatementParams(StrictInputSerializer):
    donor_name = serializers.CharField(max_length=200)
    donor_identifier = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                             default="")  # fmt: skip
    year = serializers.IntegerField(min_value=2000, max_value=2100)


class StatementExportParams(StatementParams):
    file_type = serializers.ChoiceField(choices=["pdf", "csv"])


class StatementRow(serializers.Serializer):
    donation = serializers.IntegerField()
    donated_on = serializers.DateField()
    target = serializers.CharField()
    holder = serializers.CharField()
    amount = MoneyField()
    channel = serializers.CharField()
    state = serializers.CharField()
    state_display = serializers.CharField()
    receipt = serializers.CharField(allow_blank=True)
    receipt_state = serializers.CharField(allow_blank=True)


class StatementOut(serializers.Serializer):
    donor_name = serializers.CharField()
    donor_identifier = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField()
    rows = StatementRow(many=True)


STATEMENT_PARAMETERS = [
    OpenApiParameter("donor_name", OpenApiTypes.STR, required=True),
    OpenApiParameter("donor_identifier", OpenApiTypes.STR),
    OpenApiParameter("year", OpenApiTypes.INT, required=True),
]


def _statement(request, params_class):
    user = request.user
    if not (sees_everything(user) or has_role(user, *READER_ROLES)):
        raise NotPermitted(_("Donor statements are for finance officers and auditors."),
                           code="role_required")  # fmt: skip
    data = params_class(data=request.query_params.dict())
    data.is_valid(raise_exception=True)
    v = data.validated_data
    rows = donor_statement(user, donor_name=v["donor_name"],
                           donor_identifier=v["donor_identifier"], year=v["year"])  # fmt: skip
    return v, rows


class DonationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Donations and sponsorship to campaigns and charity funds in your scope. Recording one
    is a ledger transfer from the donors into the fund's account; a retry with the same
    `idempotency_key` answers the first donation (200) and books nothing again."""

    serializer_class = DonationSerializer
    filterset_class = DonationFilter
    ordering_fields = ["id", "amount", "donated_on"]
    ordering = ["-id"]

    def get_queryset(self):
        return donations_visible_to(self.request.user)

    @extend_schema(request=DonationInput, responses={201: DonationSerializer,
                                                     200: DonationSerializer})  # fmt: skip
    def create(self, request):
        data = DonationInput(data=request.data)
        data.is_valid(raise_exception=True)
        donation = services.donation_record(actor=request.user, **data.validated_data)
        code = status.HTTP_200_OK if donation.replayed else status.HTTP_201_CREATED
        return Response(DonationSerializer(donation).data, status=code)

    @extend_schema(request=CrowdReasonInput, responses=DonationSerializer)
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        """Refund this donation (a reversing transfer naming it); refused when the money is
        spent. Its receipt is voided."""
        donation = self.get_object()
        data = CrowdReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        donation = services.donation_refund(actor=request.user, donation_id=donation.pk,
                                            **data.validated_data)  # fmt: skip
        return Response(DonationSerializer(donation).data)

    @extend_schema(request=CrowdStepInput, responses={201: ReceiptSerializer})
    @action(detail=True, methods=["post"])
    def receipt(self, request, pk=None):
        """Issue this donation's 公益事业捐赠票据 (never for sponsorship; only where the
        holder may issue receipts)."""
        donation = self.get_object()
        data = CrowdStepInput(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = services.receipt_issue(actor=request.user, donation_id=donation.pk,
                                         **data.validated_data)  # fmt: skip
        return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=STATEMENT_PARAMETERS, responses=StatementOut)
    @action(detail=False, methods=["get"])
    def statement(self, request):
        """A donor's year-end statement: every donation of the year (by name and
        identifier), its campaign or fund and its receipt number."""
        v, rows = _statement(request, StatementParams)
        return Response(StatementOut({**v, "rows": rows}).data)

    @extend_schema(
        parameters=[*STATEMENT_PARAMETERS,
                    OpenApiParameter("file_type", OpenApiTypes.STR, enum=["pdf", "csv"],
                                     required=True)],
        responses={(200, PDF): OpenApiTypes.BINARY, (200, "text/csv"): OpenApiTypes.BINARY},
    )  # fmt: skip
    @action(detail=False, methods=["get"], url_path="statement/export")
    def statement_export(self, request):
        """The same statement as a PDF or a CSV file."""
        v, rows = _statement(request, StatementExportParams)
        name = f"donor-statement-{v['year']}"
        if v["file_type"] == "csv":
            content = statement_csv(rows, donor_name=v["donor_name"], year=v["year"])
            response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        else:
            content = statement_pdf(
                rows, donor_name=v["donor_name"], donor_identifier=v["donor_identifier"],
                year=v["year"],
            )  # fmt: skip
            response = HttpResponse(content, content_type=PDF)
        response["Content-Disposition"] = f'attachment; filename="{name}.{v["file_type"]}"'
        return response


# --------------------------------------------------------------------------- receipts


class ReceiptDataOut(serializers.Serializer):
    number = serializers.CharField()
    issuer = serializers.CharField()
    issuer_credit_code = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField()
    donor_name = serializers.CharField()
    donor_identifier = serializers.CharField(allow_blank=True)
    amount = MoneyField()
    amount_text = serializers.CharField()
    amount_in_capitals = serializers.CharField(help_text="人民币大写, e.g. 壹佰元整")
    purpose = serializers.CharField()
    donated_on = serializers.DateField()
    channel = serializers.CharField()
    issued_at = serializers.DateTimeField()
    state = serializers.CharField()
    void = serializers.BooleanField()
    void_reason = serializers.CharField(allow_blank=True)


class ReceiptDetail(ReceiptSerializer):
    printed = serializers.SerializerMethodField()

    class Meta(ReceiptSerializer.Meta):
        fields = [*ReceiptSerializer.Meta.fields, "printed"]

    @extend_schema_field(ReceiptDataOut)
    def get_printed(self, obj) -> dict:
        return ReceiptDataOut(receipt_data(obj)).data


class ReceiptFilter(django_filters.FilterSet):
    issuer = IntegerFilter(field_name="issuer_id")
    year = IntegerFilter(field_name="year")
    state = django_filters.ChoiceFilter(choices=ReceiptState.choices)
    donation = IntegerFilter(field_name="donation_id")

    class Meta:
        model = Receipt
        fields = ["issuer", "year", "state", "donation"]


class ReceiptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """公益事业捐赠票据 in your scope, numbered per issuer and year; a void receipt keeps its
    number. The detail carries the printed receipt as data; `pdf/` prints it."""

    serializer_class = ReceiptSerializer
    filterset_class = ReceiptFilter
    ordering_fields = ["id", "year", "number"]
    ordering = ["-id"]

    def get_queryset(self):
        return receipts_visible_to(self.request.user)

    def get_serializer_class(self):
        return ReceiptDetail if self.action == "retrieve" else ReceiptSerializer

    @extend_schema(responses={(200, PDF): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        receipt = self.get_object()
        response = HttpResponse(receipt_pdf(receipt), content_type=PDF)
        response["Content-Disposition"] = f'attachment; filename="receipt-{receipt}.pdf"'
        return response

    @extend_schema(request=CrowdReasonInput, responses=ReceiptSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        receipt = self.get_object()
        data = CrowdReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        receipt = services.receipt_void(actor=request.user, receipt_id=receipt.pk,
                                        **data.validated_data)  # fmt: skip
        return Response(ReceiptSerializer(receipt).data)


# --------------------------------------------------------------------------- charity funds


class CharityFundSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    region = serializers.IntegerField(source="source.region_id", read_only=True)
    region_name = serializers.CharField(source="source.region.name", read_only=True)
    host_name = serializers.CharField(source="host.name", read_only=True)
    expected_amount = MoneyField(source="source.appropriated_amount", read_only=True)
    account = serializers.IntegerField(source="source.account_id", read_only=True,
                                       allow_null=True)  # fmt: skip
    has_agreement_scan = serializers.SerializerMethodField()

    class Meta:
        model = CharityFund
        fields = ["id", "name", "purpose", "source", "region", "region_name", "host",
                  "host_name", "expected_amount", "agreement_number", "agreement_signed_on",
                  "agreement_starts_on", "agreement_ends_on", "has_agreement_scan",
                  "agreement_scan_type", "state", "state_display", "account", "created_by",
                  "created_at", "opened_at"]  # fmt: skip

    def get_has_agreement_scan(self, obj) -> bool:
        return bool(obj.agreement_scan)


class CharityFundInput(StrictInputSerializer):
    region = serializers.IntegerField(min_value=1, help_text="The community")
    host = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=200)
    expected_amount = MoneyField()
    purpose = serializers.CharField(max_length=500, required=False, allow_blank=True)
    agreement_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
    agreement_signed_on = serializers.DateField(required=False, allow_null=True)
    agreement_starts_on = serializers.DateField(required=False, allow_null=True)
    agreement_ends_on = serializers.DateField(required=False, allow_null=True)
    reason = ReasonField(required=False, allow_blank=True)


class UploadInput(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, PNG or JPEG; its type is read from its content")
    reason = ReasonField(required=False, allow_blank=True)


class CharityFundFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=CharityFundState.choices)
    host = IntegerFilter(field_name="host_id")
    within = IntegerFilter(method="filter_within", label="Region subtree (a region id)")

    class Meta:
        model = CharityFund
        fields = ["state", "host", "within"]

    def filter_within(self, queryset, name, value):
        return _within(queryset, "source__region", value)


class CharityFundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """社区慈善基金 in your scope: hosted by a charitable organization with a valid
    public-fundraising qualification, under a cooperation agreement with the community
    (its scan uploaded: PDF or image). Draft → submit (approval engine) → open."""

    serializer_class = CharityFundSerializer
    filterset_class = CharityFundFilter
    ordering_fields = ["id", "name"]
    ordering = ["-id"]

    def get_queryset(self):
        return charity_funds_visible_to(self.request.user)

    def _out(self, fund, code=status.HTTP_200_OK):
        return Response(CharityFundSerializer(self.get_queryset().get(pk=fund.pk)).data,
                        status=code)  # fmt: skip

    @extend_schema(request=CharityFundInput, responses={201: CharityFundSerializer})
    def create(self, request):
        data = CharityFundInput(data=request.data)
        data.is_valid(raise_exception=True)
        fund = services.charity_fund_create(actor=request.user, **data.validated_data)
        return self._out(fund, status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": UploadInput}, responses=CharityFundSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def agreement(self, request, pk=None):
        """Upload the cooperation agreement's scan (PDF or image, size-limited; a file whose
        content is not what its name says is refused)."""
        fund = self.get_object()
        data = UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        fund = services.charity_fund_upload_agreement(
            actor=request.user, fund_id=fund.pk, filename=upload.name,
            content=upload.read(uploads.max_bytes() + 1),  # one byte past: enough to refuse
            reason=data.validated_data.get("reason", ""),
        )  # fmt: skip
        return self._out(fund)

    @extend_schema(responses=PRIVATE_FILE_RESPONSES)
    @action(detail=True, methods=["get"], url_path="agreement-scan", filter_backends=[],
            pagination_class=None)  # fmt: skip
    def agreement_scan(self, request, pk=None):
        """The agreement's scan, only to users who see the fund (else 404)."""
        fund = self.get_object()
        if not fund.agreement_scan:
            raise InvalidInput(code="no_scan", fields={"agreement_scan": [_("No scan yet.")]})
        return serve_private(fund.agreement_scan, content_type=fund.agreement_scan_type,
                             filename=f"agreement-{fund.pk}")  # fmt: skip

    @extend_schema(request=CrowdStepInput, responses={201: ApprovalRequestOut})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        fund = self.get_object()
        data = CrowdStepInput(data=request.data)
        data.is_valid(raise_exception=True)
        req = services.charity_fund_submit(actor=request.user, fund_id=fund.pk,
                                           **data.validated_data)  # fmt: skip
        return Response({"approval_request": req.pk, "state": req.state}, status=201)
