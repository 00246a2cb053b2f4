"""Regions (read-only), organizations, federations, staff, members and the target report."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import ReasonField, StrictInputSerializer

from .eligibility import custody_eligibility, transferred_function_eligibility
from .importing import import_organizations
from .models import Category, Federation, FederationStaff, Membership, Organization, Region
from .reports import REPORT_LEVELS, export_csv, export_xlsx, target_progress
from .selectors import (
    federations_visible_to,
    memberships_visible_to,
    organizations_visible_to,
    private_data_organization_ids,
    regions_visible_to,
    staff_visible_to,
)
from .services import (
    federation_register,
    federation_update,
    membership_add,
    membership_end,
    organization_change_state,
    organization_register,
    organization_update,
    staff_add,
    staff_end,
)


def _service_values(validated: dict) -> dict:
    """Validated input → the service's keyword arguments: an object named by id in the body
    (`community`) is `community_id`, resolved by the service within the user's scope; a
    missing reason is ""."""
    values = {(f"{k}_id" if k in ID_FIELDS else k): v for k, v in validated.items()}
    values.setdefault("reason", "")
    return values


class IdField(serializers.IntegerField):
    """An object named by its id in a request body. The service resolves it within the
    user's scope: an id out of scope answers exactly as one that does not exist (400)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


# Body fields that name an object by id.
ID_FIELDS = {"community", "township", "federation", "organization"}


class RegionSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    area_type_display = serializers.CharField(source="get_area_type_display", read_only=True)

    class Meta:
        model = Region
        fields = [
            "id",
            "code",
            "name",
            "level",
            "level_display",
            "area_type",
            "area_type_display",
            "parent",
            "path",
        ]


class RegionFilter(django_filters.FilterSet):
    within = django_filters.NumberFilter(
        method="filter_within", label="Within the subtree of this region (id)"
    )
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Region
        fields = ["level", "area_type", "parent", "code"]

    def filter_within(self, queryset, name, value):
        path = Region.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            raise serializers.ValidationError({name: [_("No region with this id.")]})
        return queryset.filter(path__startswith=path)


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    ordering_fields = ["path", "name", "code", "level"]
    ordering = ["path"]

    def get_queryset(self):
        return regions_visible_to(self.request.user)


# ---------------------------------------------------------------------------------------
# Organizations, federations, staff, members
# ---------------------------------------------------------------------------------------


def _within(queryset, name, value, lookup):
    path = Region.objects.filter(pk=value).values_list("path", flat=True).first()
    if path is None:
        raise serializers.ValidationError({name: [_("No region with this id.")]})
    return queryset.filter(**{f"{lookup}__path__startswith": path})


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is a 400, not silently no filter."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError(_("Give true or false."), code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class CategorySerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class OrganizationSerializer(serializers.ModelSerializer):
    """Private data (the representative's phone and identity number) is null unless the user
    may read it: see `selectors.private_data_organization_ids`."""

    community_name = serializers.CharField(source="community.name", read_only=True)
    legal_status_display = serializers.CharField(source="get_legal_status_display", read_only=True)
    has_legal_personality = serializers.BooleanField(read_only=True)
    party_form_display = serializers.CharField(source="get_party_form_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    categories = serializers.SerializerMethodField()
    representative_phone = serializers.SerializerMethodField()
    representative_id_number = serializers.SerializerMethodField()
    private_data_visible = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "community",
            "community_name",
            "credit_code",
            "legal_status",
            "legal_status_display",
            "has_legal_personality",
            "categories",
            "representative_name",
            "representative_phone",
            "representative_id_number",
            "private_data_visible",
            "founded_on",
            "party_form",
            "party_form_display",
            "party_established_on",
            "party_ended_on",
            "is_brand",
            "brand_year",
            "state",
            "state_display",
        ]

    def _private(self, obj) -> bool:
        return obj.pk in self.context.get("private_ids", set())

    @extend_schema_field(CategorySerializer(many=True))
    def get_categories(self, obj):
        return [
            {"value": c.category, "label": c.get_category_display()} for c in obj.categories.all()
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_representative_phone(self, obj):
        return obj.representative_phone if self._private(obj) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_representative_id_number(self, obj):
        return obj.representative_id_number if self._private(obj) else None

    def get_private_data_visible(self, obj) -> bool:
        return self._private(obj)


class OrganizationInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    community = IdField(help_text="A community or village (id)")
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True)
    legal_status = serializers.ChoiceField(choices=Organization.LegalStatus.choices)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), allow_empty=False
    )
    representative_name = serializers.CharField(max_length=100)
    representative_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    representative_id_number = serializers.CharField(
        max_length=18, required=False, allow_blank=True
    )
    founded_on = serializers.DateField()
    party_form = serializers.ChoiceField(choices=Organization.PartyForm.choices, required=False)
    party_established_on = serializers.DateField(required=False, allow_null=True)
    party_ended_on = serializers.DateField(required=False, allow_null=True)
    is_brand = serializers.BooleanField(required=False)
    brand_year = serializers.IntegerField(required=False, allow_null=True)
    reason = ReasonField(required=False, allow_blank=True)


class OrganizationStateInputSerializer(StrictInputSerializer):
    state = serializers.ChoiceField(choices=Organization.State.choices)
    reason = ReasonField()


class ReasonOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class EligibilitySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    reasons = ReasonOutSerializer(many=True)


class FederationEligibilitySerializer(EligibilitySerializer):
    federation = serializers.IntegerField()
    federation_name = serializers.CharField()


class OrganizationEligibilitySerializer(serializers.Serializer):
    on = serializers.DateField()
    transferred_functions = EligibilitySerializer()
    custody = FederationEligibilitySerializer(many=True)


def _eligibility_data(result) -> dict:
    return {
        "ok": result.ok,
        "reasons": [{"code": r.code, "message": r.message} for r in result.reasons],
    }


class OrganizationFilter(django_filters.FilterSet):
    within = django_filters.NumberFilter(method="filter_within", label="Within this region (id)")
    category = django_filters.ChoiceFilter(
        choices=Category.choices, field_name="categories__category", distinct=True
    )
    federation = django_filters.NumberFilter(
        method="filter_federation", label="Current member of this federation (id)"
    )
    is_brand = StrictBooleanFilter()

    class Meta:
        model = Organization
        fields = ["community", "legal_status", "state", "party_form", "is_brand", "credit_code"]

    def filter_within(self, queryset, name, value):
        return _within(queryset, name, value, "community")

    def filter_federation(self, queryset, name, value):
        members = Membership.objects.filter(
            Membership.active_q(timezone.localdate()), federation_id=value
        ).values("organization_id")
        return queryset.filter(pk__in=members)


class OrganizationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Community social organizations in the user's scope. Writes go through the services."""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    ordering_fields = ["name", "founded_on", "id"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return organizations_visible_to(self.request.user)

    def _context_for(self, organizations) -> dict:
        ctx = self.get_serializer_context()
        ctx["private_ids"] = private_data_organization_ids(self.request.user, organizations)
        return ctx

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = OrganizationSerializer(page, many=True, context=self._context_for(page)).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        org = self.get_object()
        return Response(OrganizationSerializer(org, context=self._context_for([org])).data)

    def _output(self, org):
        org = self.get_queryset().get(pk=org.pk)
        return OrganizationSerializer(org, context=self._context_for([org])).data

    @extend_schema(request=OrganizationInputSerializer, responses={201: OrganizationSerializer})
    def create(self, request):
        data = OrganizationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = organization_register(actor=request.user, **_service_values(data.validated_data))
        return Response(self._output(org), status=status.HTTP_201_CREATED)

    @extend_schema(request=OrganizationInputSerializer, responses=OrganizationSerializer)
    def partial_update(self, request, pk=None):
        org = self.get_object()
        data = OrganizationInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        org = organization_update(
            actor=request.user, organization_id=org.pk, **_service_values(data.validated_data)
        )
        return Response(self._output(org))

    @extend_schema(request=OrganizationStateInputSerializer, responses=OrganizationSerializer)
    @action(detail=True, methods=["post"], url_path="state")
    def change_state(self, request, pk=None):
        org = self.get_object()
        data = OrganizationStateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = organization_change_state(
            actor=request.user, organization_id=org.pk, **data.validated_data
        )
        return Response(self._output(org))

    @extend_schema(
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="Default: today")],
        responses=OrganizationEligibilitySerializer,
    )
    @action(detail=True, methods=["get"])
    def eligibility(self, request, pk=None):
        """May it undertake government-transferred functions; may each of its federations
        hold custody for it: with every reason when not."""
        org = self.get_object()
        on = _date_param(request, "on") or timezone.localdate()
        federations = Federation.objects.filter(memberships__organization=org).distinct()
        return Response(
            {
                "on": on,
                "transferred_functions": _eligibility_data(
                    transferred_function_eligibility(organization=org, on=on)
                ),
                "custody": [
                    {
                        "federation": f.pk,
                        "federation_name": f.name,
                        **_eligibility_data(
                            custody_eligibility(federation=f, organization=org, on=on)
                        ),
                    }
                    for f in federations
                ],
            }
        )


def _date_param(request, name):
    raw = request.query_params.get(name)
    if not raw:
        return None
    field = serializers.DateField()
    try:
        return field.to_internal_value(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from exc


class ImportInputSerializer(StrictInputSerializer):
    file = serializers.FileField()
    reason = ReasonField(required=False, allow_blank=True)


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()


class OrganizationImportView(APIView):
    """Import a register (XLSX or CSV, Chinese headers). All or nothing: a 400 lists every
    bad row in `fields.rows` as {line, column, reason}."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ImportInputSerializer},
        responses={201: ImportResultSerializer},
        operation_id="organizations_import",
    )
    def post(self, request):
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        result = import_organizations(
            actor=request.user,
            data=upload.read(),
            filename=upload.name,
            reason=data.validated_data.get("reason", ""),
        )
        return Response({"created": result.created}, status=status.HTTP_201_CREATED)


class StaffSerializer(serializers.ModelSerializer):
    class Meta:
        model = FederationStaff
        fields = [
            "id",
            "federation",
            "name",
            "phone",
            "user",
            "is_social_worker",
            "is_full_time",
            "started_on",
            "ended_on",
        ]


class FederationSerializer(serializers.ModelSerializer):
    township_name = serializers.CharField(source="township.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    social_workers = serializers.IntegerField(read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Federation
        fields = [
            "id",
            "name",
            "kind",
            "kind_display",
            "township",
            "township_name",
            "credit_code",
            "registered_on",
            "head_name",
            "head_is_township_official",
            "head_approval_reference",
            "is_active",
            "social_workers",
            "member_count",
        ]


class FederationInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Federation.Kind.choices, required=False)
    township = IdField(help_text="A township or street (id)")
    credit_code = serializers.CharField(max_length=18)
    registered_on = serializers.DateField(required=False, allow_null=True)
    head_name = serializers.CharField(max_length=100)
    head_is_township_official = serializers.BooleanField(required=False)
    head_approval_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True
    )
    is_active = serializers.BooleanField(required=False)
    reason = ReasonField(required=False, allow_blank=True)


class FederationFilter(django_filters.FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = Federation
        fields = ["township", "kind", "is_active"]


class FederationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = FederationSerializer
    filterset_class = FederationFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def get_queryset(self):
        today = timezone.localdate()
        return federations_visible_to(self.request.user).annotate(
            social_workers=Count(
                "staff",
                filter=FederationStaff.active_q(today, prefix="staff__")
                & Q(staff__is_social_worker=True),
                distinct=True,
            ),
            member_count=Count(
                "memberships",
                filter=Membership.active_q(today, prefix="memberships__"),
                distinct=True,
            ),
        )

    def _output(self, fed):
        return FederationSerializer(self.get_queryset().get(pk=fed.pk)).data

    @extend_schema(request=FederationInputSerializer, responses={201: FederationSerializer})
    def create(self, request):
        data = FederationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fed = federation_register(actor=request.user, **_service_values(data.validated_data))
        return Response(self._output(fed), status=status.HTTP_201_CREATED)

    @extend_schema(request=FederationInputSerializer, responses=FederationSerializer)
    def partial_update(self, request, pk=None):
        fed = self.get_object()
        data = FederationInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fed = federation_update(
            actor=request.user, federation_id=fed.pk, **_service_values(data.validated_data)
        )
        return Response(self._output(fed))


class StaffInputSerializer(StrictInputSerializer):
    federation = IdField(help_text="A federation (id)")
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    is_social_worker = serializers.BooleanField(required=False)
    is_full_time = serializers.BooleanField(required=False)
    started_on = serializers.DateField()
    reason = ReasonField(required=False, allow_blank=True)


class EndInputSerializer(StrictInputSerializer):
    on = serializers.DateField(help_text="The first day it no longer holds.")
    reason = ReasonField()


class StaffFilter(django_filters.FilterSet):
    is_social_worker = StrictBooleanFilter()

    class Meta:
        model = FederationStaff
        fields = ["federation", "is_social_worker"]


class StaffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Federation staff; `is_social_worker` marks the social workers the policy asks for."""

    serializer_class = StaffSerializer
    filterset_class = StaffFilter
    ordering_fields = ["name", "started_on", "id"]
    ordering = ["federation", "name", "id"]

    def get_queryset(self):
        return staff_visible_to(self.request.user)

    @extend_schema(request=StaffInputSerializer, responses={201: StaffSerializer})
    def create(self, request):
        data = StaffInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        staff = staff_add(actor=request.user, **_service_values(data.validated_data))
        return Response(StaffSerializer(staff).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EndInputSerializer, responses=StaffSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        staff = self.get_object()
        data = EndInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        staff = staff_end(
            actor=request.user,
            staff_id=staff.pk,
            ended_on=data.validated_data["on"],
            reason=data.validated_data["reason"],
        )
        return Response(StaffSerializer(staff).data)


class MemberOrganizationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    legal_status = serializers.CharField()
    state = serializers.CharField()
    representative_name = serializers.CharField()
    representative_phone = serializers.CharField(allow_null=True)


class MembershipSerializer(serializers.ModelSerializer):
    federation_name = serializers.CharField(source="federation.name", read_only=True)
    organization_detail = serializers.SerializerMethodField()
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id",
            "federation",
            "federation_name",
            "organization",
            "organization_detail",
            "joined_on",
            "left_on",
            "is_active",
        ]

    @extend_schema_field(MemberOrganizationSerializer)
    def get_organization_detail(self, obj):
        org = obj.organization
        private = org.pk in self.context.get("private_ids", set())
        return {
            "id": org.pk,
            "name": org.name,
            "credit_code": org.credit_code,
            "legal_status": org.legal_status,
            "state": org.state,
            "representative_name": org.representative_name,
            "representative_phone": org.representative_phone if private else None,
        }

    def get_is_active(self, obj) -> bool:
        return obj.is_active_on(timezone.localdate())


class MembershipInputSerializer(StrictInputSerializer):
    federation = IdField(help_text="A federation (id)")
    organization = IdField(help_text="An organization (id)")
    joined_on = serializers.DateField()
    reason = ReasonField(required=False, allow_blank=True)


class MembershipFilter(django_filters.FilterSet):
    active = StrictBooleanFilter(method="filter_active", label="Member today")

    class Meta:
        model = Membership
        fields = ["federation", "organization"]

    def filter_active(self, queryset, name, value):
        q = Membership.active_q(timezone.localdate())
        return queryset.filter(q) if value else queryset.exclude(q)


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Members of federations: federation staff see their own federation's, representatives
    their own organization's."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["joined_on", "id"]
    ordering = ["federation", "organization", "joined_on", "id"]

    def get_queryset(self):
        return memberships_visible_to(self.request.user)

    def _context_for(self, memberships) -> dict:
        ctx = self.get_serializer_context()
        ctx["private_ids"] = private_data_organization_ids(
            self.request.user, [m.organization for m in memberships]
        )
        return ctx

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = MembershipSerializer(page, many=True, context=self._context_for(page)).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        m = self.get_object()
        return Response(MembershipSerializer(m, context=self._context_for([m])).data)

    @extend_schema(request=MembershipInputSerializer, responses={201: MembershipSerializer})
    def create(self, request):
        data = MembershipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_add(actor=request.user, **_service_values(data.validated_data))
        m = self.get_queryset().get(pk=membership.pk)
        return Response(
            MembershipSerializer(m, context=self._context_for([m])).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=EndInputSerializer, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        membership = self.get_object()
        data = EndInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership_end(
            actor=request.user,
            membership_id=membership.pk,
            left_on=data.validated_data["on"],
            reason=data.validated_data["reason"],
        )
        m = self.get_queryset().get(pk=membership.pk)
        return Response(MembershipSerializer(m, context=self._context_for([m])).data)


# ---------------------------------------------------------------------------------------
# Policy-target progress
# ---------------------------------------------------------------------------------------


class TargetRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    urban_communities = serializers.IntegerField()
    urban_organizations = serializers.IntegerField()
    urban_average = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    urban_average_met = serializers.BooleanField(allow_null=True)
    rural_communities = serializers.IntegerField()
    rural_organizations = serializers.IntegerField()
    rural_average = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    rural_average_met = serializers.BooleanField(allow_null=True)
    villages_with_organization = serializers.IntegerField()
    villages_met = serializers.BooleanField(allow_null=True)
    communities = serializers.IntegerField()
    communities_with_brand = serializers.IntegerField()
    brand_met = serializers.BooleanField(allow_null=True)
    townships = serializers.IntegerField()
    townships_with_federation = serializers.IntegerField()
    federation_met = serializers.BooleanField(allow_null=True)
    federations = serializers.IntegerField()
    federations_with_social_workers = serializers.IntegerField()
    social_workers_met = serializers.BooleanField(allow_null=True)
    targets_met = serializers.IntegerField()
    targets_measured = serializers.IntegerField()


class TargetReportSerializer(serializers.Serializer):
    region = serializers.IntegerField()
    on = serializers.DateField()
    rows = TargetRowSerializer(many=True)


REPORT_PARAMETERS = [
    OpenApiParameter(
        "region", OpenApiTypes.INT, required=True, description="A city, county or township id"
    ),
    OpenApiParameter("on", OpenApiTypes.DATE, description="Staff counted on this day (today)"),
]


def report_region(user, raw) -> Region:
    """The report's region: in the user's scope (else 404) and a city, county or township."""
    if raw in (None, ""):
        raise serializers.ValidationError({"region": [_("This parameter is required.")]})
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        raise serializers.ValidationError({"region": [_("A region id (a number).")]}) from None
    region = get_object_or_404(regions_visible_to(user), pk=pk)
    if region.level not in REPORT_LEVELS:
        raise serializers.ValidationError(
            {"region": [_("Reports are by city, county or township.")]}
        )
    return region


class TargetReportView(APIView):
    """Progress against the policy's targets (东民〔2020〕14号 二(二)) for a region and every
    county and township in it."""

    @extend_schema(
        parameters=REPORT_PARAMETERS,
        responses=TargetReportSerializer,
        operation_id="reports_targets",
    )
    def get(self, request):
        region = report_region(request.user, request.query_params.get("region"))
        on = _date_param(request, "on") or timezone.localdate()
        rows = target_progress(region, on=on)
        return Response(TargetReportSerializer({"region": region.pk, "on": on, "rows": rows}).data)


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TargetReportExportView(APIView):
    """The same report as a CSV or XLSX file."""

    @extend_schema(
        parameters=[
            *REPORT_PARAMETERS,
            OpenApiParameter("file_type", OpenApiTypes.STR, enum=["csv", "xlsx"]),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
        },
        operation_id="reports_targets_export",
    )
    def get(self, request):
        region = report_region(request.user, request.query_params.get("region"))
        on = _date_param(request, "on") or timezone.localdate()
        file_type = request.query_params.get("file_type", "xlsx")
        if file_type not in ("csv", "xlsx"):
            raise serializers.ValidationError({"file_type": [_("csv or xlsx.")]})
        return target_report_file(region, on=on, file_type=file_type)


def target_report_file(region, *, on, file_type: str) -> HttpResponse:
    rows = target_progress(region, on=on)
    name = f"targets-{region.code}-{on.isoformat()}.{file_type}"
    if file_type == "csv":
        response = HttpResponse(export_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        title = _("Policy-target progress: %(region)s, %(date)s") % {
            "region": region.name,
            "date": on.isoformat(),
        }
        response = HttpResponse(
            export_xlsx(rows, title=title),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
