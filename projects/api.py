"""Needs and offers, projects, allocations, contracts, milestones, evaluations, disclosure.
Thin: parse, call a service or selector, serialize.

Approving or rejecting is done where every approval is: `/api/v1/approvals/{id}/approve/`
(the submit actions answer the object; its approval request is in the approvals inbox).
"""

import django_filters
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.filters import IntegerFilter
from core.api.schema import PRIVATE_FILE_RESPONSES
from core.api.serializers import MoneyField, ReasonField, StrictInputSerializer
from core.documents import CONTENT_TYPES, download
from core.errors import InvalidInput
from core.uploads import serve_private
from funds.campaigns.api import CampaignSerializer
from funds.models import PurchaseCategory

from . import campaign_links, compliance, disclosure, services
from .campaign_links import project_campaigns
from .matching import suggestions
from .models import (
    Allocation,
    AllocationState,
    Contract,
    ContractState,
    Demand,
    DemandState,
    Evaluation,
    EvaluatorKind,
    Evidence,
    Milestone,
    MilestoneState,
    NegativeItem,
    Offer,
    OfferState,
    Priority,
    Project,
    ProjectState,
    SupervisionVisit,
)
from .selectors import (
    allocations_visible_to,
    contracts_visible_to,
    demands_visible_to,
    evaluations_visible_to,
    latest_score_subquery,
    milestones_visible_to,
    offers_visible_to,
    projects_visible_to,
)

# --------------------------------------------------------------------------- shared


class ProjectReasonInput(StrictInputSerializer):
    reason = ReasonField(required=False, allow_blank=True)


class ProjectRequiredReasonInput(StrictInputSerializer):
    reason = ReasonField()


def _parse(serializer_class, request, **kwargs):
    data = serializer_class(data=request.data, **kwargs)
    data.is_valid(raise_exception=True)
    return data.validated_data


# --------------------------------------------------------------------------- needs and offers


class DemandSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Demand
        fields = ["id", "title", "category", "category_display", "community", "community_name",
                  "description", "beneficiaries", "beneficiary_count", "priority", "state",
                  "created_by", "created_at"]  # fmt: skip


class DemandInput(StrictInputSerializer):
    community = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=PurchaseCategory.choices)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    beneficiaries = serializers.CharField(max_length=300, required=False, allow_blank=True)
    beneficiary_count = serializers.IntegerField(min_value=0, max_value=10**9, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    reason = ReasonField(required=False, allow_blank=True)


class DemandFilter(django_filters.FilterSet):
    community = IntegerFilter(field_name="community_id")
    category = django_filters.ChoiceFilter(choices=PurchaseCategory.choices)
    state = django_filters.ChoiceFilter(choices=DemandState.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)

    class Meta:
        model = Demand
        fields = ["community", "category", "state", "priority"]


class DemandSuggestionSerializer(serializers.Serializer):
    offer = serializers.IntegerField(source="offer.pk")
    organization = serializers.IntegerField(source="offer.organization_id")
    organization_name = serializers.CharField(source="offer.organization.name")
    title = serializers.CharField(source="offer.title")
    score = serializers.DecimalField(max_digits=8, decimal_places=2)
    reasons = serializers.ListField(child=serializers.CharField())
    latest_scores = serializers.ListField(child=serializers.DictField())


class DemandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Community needs (社区服务需求目录) in your region; finance officers and federation
    staff record them. `suggestions/` ranks matching offers with their reasons."""

    serializer_class = DemandSerializer
    filterset_class = DemandFilter
    ordering_fields = ["id", "priority"]
    ordering = ["-id"]

    def get_queryset(self):
        return demands_visible_to(self.request.user)

    @extend_schema(request=DemandInput, responses={201: DemandSerializer})
    def create(self, request):
        demand = services.demand_create(actor=request.user, **_parse(DemandInput, request))
        return Response(DemandSerializer(demand).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectReasonInput, responses=DemandSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        demand = self.get_object()
        demand = services.demand_close(
            actor=request.user, demand_id=demand.pk, **_parse(ProjectReasonInput, request)
        )
        return Response(DemandSerializer(demand).data)

    @extend_schema(responses=DemandSuggestionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def suggestions(self, request, pk=None):
        """Offers for this need, best first: category, closeness, eligibility, scores."""
        demand = self.get_object()
        found = suggestions(demand, user=request.user)
        return Response(DemandSuggestionSerializer(found, many=True).data)


class OfferSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    price_min = MoneyField(allow_zero=True)
    price_max = MoneyField(allow_zero=True)

    class Meta:
        model = Offer
        fields = ["id", "organization", "organization_name", "title", "category",
                  "category_display", "area", "area_name", "description", "capacity",
                  "price_min", "price_max", "state", "created_by", "created_at"]  # fmt: skip


class OfferInput(StrictInputSerializer):
    organization = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=PurchaseCategory.choices)
    area = serializers.IntegerField(min_value=1)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    capacity = serializers.IntegerField(min_value=0, max_value=10**9, required=False)
    price_min = MoneyField()
    price_max = MoneyField()
    reason = ReasonField(required=False, allow_blank=True)


class OfferFilter(django_filters.FilterSet):
    organization = IntegerFilter(field_name="organization_id")
    area = IntegerFilter(field_name="area_id")
    category = django_filters.ChoiceFilter(choices=PurchaseCategory.choices)
    state = django_filters.ChoiceFilter(choices=OfferState.choices)

    class Meta:
        model = Offer
        fields = ["organization", "area", "category", "state"]


class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Service offers (社会组织服务供给目录): an organization's representative or its
    federation's staff record and withdraw them."""

    serializer_class = OfferSerializer
    filterset_class = OfferFilter
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self):
        return offers_visible_to(self.request.user)

    @extend_schema(request=OfferInput, responses={201: OfferSerializer})
    def create(self, request):
        offer = services.offer_create(actor=request.user, **_parse(OfferInput, request))
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectReasonInput, responses=OfferSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        offer = self.get_object()
        offer = services.offer_withdraw(
            actor=request.user, offer_id=offer.pk, **_parse(ProjectReasonInput, request)
        )
        return Response(OfferSerializer(offer).data)


# --------------------------------------------------------------------------- projects


class ProjectSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    purchaser_name = serializers.CharField(source="purchaser.name", read_only=True)
    fiscal_year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    undertaker_name = serializers.SerializerMethodField()
    budget_amount = MoneyField()
    latest_score = serializers.DecimalField(
        max_digits=5, decimal_places=2, read_only=True, allow_null=True,
        help_text="The undertaker's latest evaluation score (any project).",
    )  # fmt: skip

    class Meta:
        model = Project
        fields = ["id", "title", "description", "purchaser", "purchaser_name", "category",
                  "category_display", "catalogue_code", "negative_item",
                  "transfers_government_function", "undertaker", "custody_federation", "member",
                  "party_organization", "undertaker_name", "fiscal_year", "budget_amount",
                  "state", "state_display", "demand", "offer", "created_by", "created_at",
                  "closed_at", "latest_score"]  # fmt: skip

    def get_undertaker_name(self, project) -> str:
        if project.custody_federation_id:
            return f"{project.custody_federation.name}（代{project.member.name}）"
        return project.undertaker.name


class ProjectInput(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    purchaser = serializers.IntegerField(min_value=1)
    category = serializers.ChoiceField(choices=PurchaseCategory.choices)
    catalogue_code = serializers.CharField(max_length=40, allow_blank=True)
    negative_item = serializers.ChoiceField(
        choices=NegativeItem.choices, required=False, allow_blank=True
    )
    transfers_government_function = serializers.BooleanField(required=False)
    undertaker = serializers.IntegerField(min_value=1, required=False)
    custody_federation = serializers.IntegerField(min_value=1, required=False)
    member = serializers.IntegerField(min_value=1, required=False)
    fiscal_year = serializers.IntegerField(min_value=2000, max_value=2100)
    budget_amount = MoneyField()
    demand = serializers.IntegerField(min_value=1, required=False)
    offer = serializers.IntegerField(min_value=1, required=False)
    reason = ReasonField(required=False, allow_blank=True)

    def validate(self, attrs):
        direct = "undertaker" in attrs
        custody = "custody_federation" in attrs or "member" in attrs
        if direct == custody or (custody and not ("custody_federation" in attrs
                                                  and "member" in attrs)):  # fmt: skip
            raise serializers.ValidationError(
                {"undertaker": ["Give undertaker, or custody_federation and member."]}
            )
        return attrs


class ProjectMatchInput(StrictInputSerializer):
    demand = serializers.IntegerField(min_value=1)
    offer = serializers.IntegerField(min_value=1)
    purchaser = serializers.IntegerField(min_value=1)
    catalogue_code = serializers.CharField(max_length=40, allow_blank=True)
    fiscal_year = serializers.IntegerField(min_value=2000, max_value=2100)
    budget_amount = MoneyField()
    title = serializers.CharField(max_length=200, required=False)
    reason = ReasonField(required=False, allow_blank=True)


TRANSITION_TARGETS = [
    (s.value, s.label)
    for s in (ProjectState.IN_PROGRESS, ProjectState.DELIVERED, ProjectState.ACCEPTED,
              ProjectState.CLOSED, ProjectState.CANCELLED, ProjectState.TERMINATED)
]  # fmt: skip
TRANSITION_SERVICES = {
    ProjectState.IN_PROGRESS: services.project_start,
    ProjectState.DELIVERED: services.project_deliver,
    ProjectState.ACCEPTED: services.project_accept,
    ProjectState.CLOSED: services.project_close,
    ProjectState.CANCELLED: services.project_cancel,
    ProjectState.TERMINATED: services.project_terminate,
}


class ProjectTransitionInput(StrictInputSerializer):
    to = serializers.ChoiceField(choices=TRANSITION_TARGETS)
    reason = ReasonField(required=False, allow_blank=True)


class ProjectVisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupervisionVisit
        fields = ["id", "project", "visited_on", "progress", "issues", "recorded_by",
                  "recorded_at"]  # fmt: skip


class ProjectVisitInput(StrictInputSerializer):
    visited_on = serializers.DateField()
    progress = serializers.CharField(max_length=4000)
    issues = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class ComplianceRuleSerializer(serializers.Serializer):
    rule = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=["pass", "fail", "not_yet"])
    code = serializers.CharField()
    message = serializers.CharField()


class ProjectFilter(django_filters.FilterSet):
    purchaser = IntegerFilter(field_name="purchaser_id")
    fiscal_year = IntegerFilter(field_name="fiscal_year__year")
    state = django_filters.ChoiceFilter(choices=ProjectState.choices)
    category = django_filters.ChoiceFilter(choices=PurchaseCategory.choices)
    undertaker = IntegerFilter(field_name="undertaker_id")
    custody_federation = IntegerFilter(field_name="custody_federation_id")
    organization = IntegerFilter(field_name="party_organization_id")

    class Meta:
        model = Project
        fields = ["purchaser", "fiscal_year", "state", "category", "undertaker",
                  "custody_federation", "organization"]  # fmt: skip


class ProjectCampaignInput(StrictInputSerializer):
    campaign = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = ReasonField(required=False, allow_blank=True)


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Purchase-of-service projects in your scope. Draft → submit (approval engine) →
    approved → contracted (contract signed) → in progress → delivered → accepted → closed;
    or cancelled / terminated. `transition/` takes the declared steps after contracting."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["id", "budget_amount"]
    ordering = ["-id"]

    def get_queryset(self):
        return projects_visible_to(self.request.user).annotate(latest_score=latest_score_subquery())

    def _out(self, project):
        return ProjectSerializer(self.get_queryset().get(pk=project.pk)).data

    @extend_schema(request=ProjectInput, responses={201: ProjectSerializer})
    def create(self, request):
        project = services.project_create(actor=request.user, **_parse(ProjectInput, request))
        return Response(self._out(project), status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectMatchInput, responses={201: ProjectSerializer})
    @action(detail=False, methods=["post"], url_path="from-match")
    def from_match(self, request):
        """A proposal from a matched need and offer."""
        data = _parse(ProjectMatchInput, request)
        project = services.project_propose_from_match(
            actor=request.user, demand_id=data.pop("demand"), offer_id=data.pop("offer"), **data
        )
        return Response(self._out(project), status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectReasonInput, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        project = self.get_object()
        services.project_submit(
            actor=request.user, project_id=project.pk, **_parse(ProjectReasonInput, request)
        )
        return Response(self._out(project))

    @extend_schema(request=ProjectTransitionInput, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """A declared transition: start, deliver, accept, close, cancel, terminate (cancel and
        terminate need a reason)."""
        project = self.get_object()
        data = _parse(ProjectTransitionInput, request)
        target = data["to"]
        reason = data.get("reason", "")
        if target in (ProjectState.CANCELLED, ProjectState.TERMINATED) and not reason.strip():
            raise InvalidInput(fields={"reason": ["A reason is required."]})
        TRANSITION_SERVICES[target](actor=request.user, project_id=project.pk, reason=reason)
        return Response(self._out(project))

    @extend_schema(responses=ComplianceRuleSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def compliance(self, request, pk=None):
        """Every rule of the compliance gate: pass / fail / not yet, with code and why."""
        project = self.get_object()
        results = compliance.report(project)
        return Response(
            [
                {"rule": r.rule, "label": r.label, "status": r.status, "code": r.code,
                 "message": r.message}
                for r in results
            ]
        )  # fmt: skip

    @extend_schema(request=ProjectVisitInput, responses={201: ProjectVisitSerializer})
    @action(detail=True, methods=["post"])
    def visits(self, request, pk=None):
        """Federation staff record a supervision visit to a custody member's project."""
        project = self.get_object()
        visit = services.visit_record(
            actor=request.user, project_id=project.pk, **_parse(ProjectVisitInput, request)
        )
        return Response(ProjectVisitSerializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=CampaignSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=ProjectCampaignInput, responses={201: CampaignSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def campaigns(self, request, pk=None):
        """The crowdfunding campaigns raised for the project (GET); a finance officer
        designates one (POST: a campaign in scope, on the project's branch of the region tree
        and for its category; its money still reaches the project through a budget line)."""
        project = self.get_object()
        if request.method == "GET":
            return Response(CampaignSerializer(project_campaigns(project), many=True).data)
        data = _parse(ProjectCampaignInput, request)
        campaign = campaign_links.campaign_designate(
            actor=request.user, project_id=project.pk, campaign_id=data["campaign"],
            reason=data.get("reason", ""),
        )  # fmt: skip
        made = project_campaigns(project).get(pk=campaign.pk)
        return Response(CampaignSerializer(made).data, status=status.HTTP_201_CREATED)


class DisclosureView(APIView):
    """Disclosure of a fiscal year's purchases (财预〔2017〕87号): content, undertaker,
    amount, term, evaluation; CSV or XLSX. Public: no personal data."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("fiscal_year", int, required=True),
            OpenApiParameter("file_format", str, enum=["csv", "xlsx"], required=False),
        ],
        responses={
            (200, CONTENT_TYPES["csv"]): OpenApiTypes.BINARY,
            (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        year = request.query_params.get("fiscal_year", "")
        fmt = request.query_params.get("file_format", "csv")
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            raise InvalidInput(fields={"fiscal_year": [_("A year, such as 2026.")]})
        if fmt not in ("csv", "xlsx"):
            raise InvalidInput(fields={"file_format": [_("csv or xlsx.")]})
        year = int(year)
        content = disclosure.export_csv(year) if fmt == "csv" else disclosure.export_xlsx(year)
        return download(content, f"disclosure-{year}", fmt)


# --------------------------------------------------------------------------- allocations


class AllocationSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    returned = MoneyField(allow_zero=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    source = serializers.IntegerField(source="line.source_id", read_only=True)

    class Meta:
        model = Allocation
        fields = ["id", "project", "line", "source", "amount", "state", "state_display",
                  "account", "reservation", "returned", "expires_on", "created_by",
                  "created_at", "decided_at"]  # fmt: skip


class AllocationInput(StrictInputSerializer):
    project = serializers.IntegerField(min_value=1)
    line = serializers.IntegerField(min_value=1)
    amount = MoneyField()
    expires_on = serializers.DateField(required=False, allow_null=True)
    reason = ReasonField(required=False, allow_blank=True)


class AllocationFilter(django_filters.FilterSet):
    project = IntegerFilter(field_name="project_id")
    line = IntegerFilter(field_name="line_id")
    state = django_filters.ChoiceFilter(choices=AllocationState.choices)

    class Meta:
        model = Allocation
        fields = ["project", "line", "state"]


def _project_for_body(user, project_id):
    """A project named in a body: in scope, or a 400 naming `project`."""
    if not projects_visible_to(user).filter(pk=project_id).exists():
        raise InvalidInput(
            "No such project in your scope.",
            code="unknown_object",
            fields={"project": ["No such project in your scope."]},
        )
    return project_id


class AllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Money of one budget line for a project. Draft → submit → approved (reserved in the
    ledger) → committed at contract signing; or rejected / released."""

    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter
    ordering_fields = ["id", "amount"]
    ordering = ["id"]

    def get_queryset(self):
        return allocations_visible_to(self.request.user)

    @extend_schema(request=AllocationInput, responses={201: AllocationSerializer})
    def create(self, request):
        services.require_officer_role(request.user)
        data = _parse(AllocationInput, request)
        project = _project_for_body(request.user, data.pop("project"))
        allocation = services.allocation_create(actor=request.user, project_id=project, **data)
        return Response(AllocationSerializer(allocation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectReasonInput, responses=AllocationSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        allocation = self.get_object()
        allocation = services.allocation_submit(
            actor=request.user, allocation_id=allocation.pk, **_parse(ProjectReasonInput, request)
        )
        return Response(AllocationSerializer(allocation).data)

    @extend_schema(request=ProjectRequiredReasonInput, responses=AllocationSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """Release a reservation before the contract is signed."""
        allocation = self.get_object()
        allocation = services.allocation_release(
            actor=request.user, allocation_id=allocation.pk,
            **_parse(ProjectRequiredReasonInput, request),
        )  # fmt: skip
        return Response(AllocationSerializer(allocation).data)


# --------------------------------------------------------------------------- contracts


class ContractSerializer(serializers.ModelSerializer):
    price = MoneyField()
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    has_scan = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = ["id", "project", "content", "term_start", "term_end", "stable_service",
                  "funding_secured", "quantity_requirements", "quality_requirements", "price",
                  "settlement_terms", "liabilities", "signed_on", "has_scan",
                  "scan_content_type", "state", "state_display", "created_by",
                  "created_at"]  # fmt: skip

    def get_has_scan(self, contract) -> bool:
        return bool(contract.scan)


class ContractInput(StrictInputSerializer):
    project = serializers.IntegerField(min_value=1)
    content = serializers.CharField(max_length=8000)
    term_start = serializers.DateField()
    term_end = serializers.DateField()
    price = MoneyField()
    stable_service = serializers.BooleanField(required=False)
    funding_secured = serializers.BooleanField(required=False)
    quantity_requirements = serializers.CharField(max_length=4000, required=False,
                                                  allow_blank=True)  # fmt: skip
    quality_requirements = serializers.CharField(max_length=4000, required=False,
                                                 allow_blank=True)  # fmt: skip
    settlement_terms = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    liabilities = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    reason = ReasonField(required=False, allow_blank=True)


class ContractSignInput(StrictInputSerializer):
    signed_on = serializers.DateField()
    scan = serializers.FileField(help_text="PDF, JPEG or PNG (checked from the content).")
    reason = ReasonField(required=False, allow_blank=True)


class ContractFilter(django_filters.FilterSet):
    project = IntegerFilter(field_name="project_id")
    state = django_filters.ChoiceFilter(choices=ContractState.choices)

    class Meta:
        model = Contract
        fields = ["project", "state"]


class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contracts: drafted by the purchaser's officers, submitted through the gate and the
    approval engine, signed with the signed scan (which posts the reserved money)."""

    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    ordering_fields = ["id"]
    ordering = ["-id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return contracts_visible_to(self.request.user)

    @extend_schema(request=ContractInput, responses={201: ContractSerializer})
    def create(self, request):
        services.require_officer_role(request.user)
        data = _parse(ContractInput, request)
        project = _project_for_body(request.user, data.pop("project"))
        contract = services.contract_create(actor=request.user, project_id=project, **data)
        return Response(ContractSerializer(contract).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProjectReasonInput, responses=ContractSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        contract = self.get_object()
        contract = services.contract_submit(
            actor=request.user, contract_id=contract.pk, **_parse(ProjectReasonInput, request)
        )
        return Response(ContractSerializer(contract).data)

    @extend_schema(request={"multipart/form-data": ContractSignInput}, responses=ContractSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def sign(self, request, pk=None):
        """Record the signing with the signed scan."""
        contract = self.get_object()
        contract = services.contract_sign(
            actor=request.user, contract_id=contract.pk, **_parse(ContractSignInput, request)
        )
        return Response(ContractSerializer(contract).data)

    @extend_schema(responses=PRIVATE_FILE_RESPONSES)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def scan(self, request, pk=None):
        """The signed scan, only to users who see the contract."""
        contract = self.get_object()
        if not contract.scan:
            raise InvalidInput(code="no_scan", fields={"scan": ["No signed scan yet."]})
        return serve_private(
            contract.scan, content_type=contract.scan_content_type,
            filename=f"contract-{contract.pk}",
        )  # fmt: skip


# --------------------------------------------------------------------------- milestones


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "milestone", "content_type", "size", "sha256", "original_name",
                  "uploaded_by", "uploaded_at"]  # fmt: skip


class MilestoneSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    evidence_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Milestone
        fields = ["id", "project", "number", "title", "deliverables", "due_on", "amount",
                  "state", "state_display", "progress_note", "accepted_on", "accepted_by",
                  "acceptance_note", "evidence_count"]  # fmt: skip


class MilestoneInput(StrictInputSerializer):
    project = serializers.IntegerField(min_value=1)
    number = serializers.IntegerField(min_value=1, max_value=999)
    title = serializers.CharField(max_length=200)
    deliverables = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    due_on = serializers.DateField()
    amount = MoneyField()
    reason = ReasonField(required=False, allow_blank=True)


class MilestoneProgressInput(StrictInputSerializer):
    note = serializers.CharField(max_length=4000)
    delivered = serializers.BooleanField(required=False)


class MilestoneEvidenceInput(StrictInputSerializer):
    file = serializers.FileField(help_text="PDF, JPEG or PNG (checked from the content).")


class MilestoneAcceptInput(StrictInputSerializer):
    accepted_on = serializers.DateField()
    note = serializers.CharField(max_length=4000)


class MilestonePayInput(StrictInputSerializer):
    idempotency_key = serializers.CharField(max_length=100)
    reason = ReasonField(required=False, allow_blank=True)


class MilestonePaymentOut(serializers.Serializer):
    id = serializers.IntegerField()
    milestone = serializers.IntegerField(source="milestone_id")
    amount = MoneyField()
    state = serializers.CharField()
    idempotency_key = serializers.CharField()
    payee_kind = serializers.CharField()
    payee_account = serializers.IntegerField(source="payee_account_id", allow_null=True)
    replayed = serializers.BooleanField(default=False)


class MilestoneFilter(django_filters.FilterSet):
    project = IntegerFilter(field_name="project_id")
    state = django_filters.ChoiceFilter(choices=MilestoneState.choices)
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Milestone
        fields = ["project", "state", "due_before"]


class MilestoneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Milestones: planned with the contract; progress by the undertaker; evidence
    uploads; acceptance (验收) by the purchaser; payment through the approval engine."""

    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ["id", "due_on", "number"]
    ordering = ["project", "number"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return milestones_visible_to(self.request.user).annotate(evidence_count=Count("evidence"))

    def _out(self, milestone):
        return MilestoneSerializer(self.get_queryset().get(pk=milestone.pk)).data

    @extend_schema(request=MilestoneInput, responses={201: MilestoneSerializer})
    def create(self, request):
        services.require_officer_role(request.user)
        data = _parse(MilestoneInput, request)
        project = _project_for_body(request.user, data.pop("project"))
        milestone = services.milestone_add(actor=request.user, project_id=project, **data)
        return Response(self._out(milestone), status=status.HTTP_201_CREATED)

    @extend_schema(request=MilestoneProgressInput, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        milestone = self.get_object()
        services.milestone_progress(
            actor=request.user, milestone_id=milestone.pk, **_parse(MilestoneProgressInput, request)
        )
        return Response(self._out(milestone))

    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": MilestoneEvidenceInput},
        responses={201: EvidenceSerializer},
    )
    @extend_schema(methods=["GET"], responses=EvidenceSerializer(many=True))
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
        filter_backends=[],
    )
    def evidence(self, request, pk=None):
        """The milestone's evidence (GET), or upload one (POST: PDF/JPEG/PNG)."""
        milestone = self.get_object()
        if request.method == "GET":
            rows = Evidence.objects.filter(milestone=milestone).order_by("id")
            return Response(EvidenceSerializer(rows, many=True).data)
        evidence = services.evidence_upload(
            actor=request.user, milestone_id=milestone.pk, **_parse(MilestoneEvidenceInput, request)
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("evidence_id", int, OpenApiParameter.PATH)],
        responses=PRIVATE_FILE_RESPONSES,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"evidence/(?P<evidence_id>[0-9]+)/file",
        pagination_class=None,
        filter_backends=[],
    )
    def evidence_file(self, request, pk=None, evidence_id=None):
        """One evidence document, only to users who see the milestone."""
        milestone = self.get_object()
        evidence = get_object_or_404(Evidence, pk=int(evidence_id), milestone=milestone)
        return serve_private(
            evidence.file, content_type=evidence.content_type, filename=f"evidence-{evidence.pk}"
        )

    @extend_schema(request=MilestoneAcceptInput, responses=MilestoneSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        milestone = self.get_object()
        services.milestone_accept(
            actor=request.user, milestone_id=milestone.pk, **_parse(MilestoneAcceptInput, request)
        )
        return Response(self._out(milestone))

    @extend_schema(
        request=MilestonePayInput, responses={201: MilestonePaymentOut, 200: MilestonePaymentOut}
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Ask for payment of an accepted milestone (the approval engine decides). The same
        idempotency key answers the first request (200, replayed) and pays nothing more."""
        milestone = self.get_object()
        payment = services.payment_request(
            actor=request.user, milestone_id=milestone.pk, **_parse(MilestonePayInput, request)
        )
        replayed = getattr(payment, "replayed", False)
        return Response(
            MilestonePaymentOut(payment).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )


# --------------------------------------------------------------------------- evaluations


class EvaluationSerializer(serializers.ModelSerializer):
    evaluator_kind_display = serializers.CharField(
        source="get_evaluator_kind_display", read_only=True
    )

    class Meta:
        model = Evaluation
        fields = ["id", "project", "organization", "evaluator_kind", "evaluator_kind_display",
                  "evaluator_name", "criteria", "score", "summary", "evaluated_on",
                  "created_by", "created_at"]  # fmt: skip


class EvaluationCriterionInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)


class EvaluationInput(StrictInputSerializer):
    project = serializers.IntegerField(min_value=1)
    evaluator_kind = serializers.ChoiceField(choices=EvaluatorKind.choices)
    evaluator_name = serializers.CharField(max_length=200)
    criteria = EvaluationCriterionInput(many=True, allow_empty=False, max_length=30)
    evaluated_on = serializers.DateField()
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class EvaluationFilter(django_filters.FilterSet):
    project = IntegerFilter(field_name="project_id")
    organization = IntegerFilter(field_name="organization_id")

    class Meta:
        model = Evaluation
        fields = ["project", "organization"]


class EvaluationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Performance evaluations (绩效评价): weighted criteria scored 0–100."""

    serializer_class = EvaluationSerializer
    filterset_class = EvaluationFilter
    ordering_fields = ["id", "evaluated_on", "score"]
    ordering = ["-id"]

    def get_queryset(self):
        return evaluations_visible_to(self.request.user)

    @extend_schema(request=EvaluationInput, responses={201: EvaluationSerializer})
    def create(self, request):
        services.require_evaluator_role(request.user)
        data = _parse(EvaluationInput, request)
        project = _project_for_body(request.user, data.pop("project"))
        data["criteria"] = [
            {"name": c["name"], "weight": str(c["weight"]), "score": str(c["score"])}
            for c in data["criteria"]
        ]
        evaluation = services.evaluation_record(actor=request.user, project_id=project, **data)
        return Response(EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)
