"""Approvals API: the inbox and each request's trail, decisions, policies, delegations.

    GET  approvals/                       what the current user may decide now (the inbox)
    GET  approvals/{id}/                  one request in scope, with its requirements and trail
    POST approvals/{id}/approve|reject|return/   {"reason": ...} (required to reject or return)
    POST approvals/{id}/withdraw/         by its submitter
    GET/POST approval-policies/, GET/PATCH approval-policies/{id}/   (writes: administrators)
    GET/POST approval-delegations/, GET approval-delegations/{id}/, POST .../{id}/revoke/

Requests are submitted by the apps that own the objects (their services call
`approvals.services.request_submit`), not through this API.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from core.api.filters import IntegerFilter
from core.api.pagination import PageNumberPagination
from core.api.serializers import MoneyField, ReasonField, StrictInputSerializer
from federations.models import Region

from . import services
from .models import (
    ApprovalPolicy,
    ApprovalRequest,
    ApprovalRequirement,
    Delegation,
    Level,
    RequestState,
    Verdict,
)
from .registry import kind_label
from .selectors import (
    delegations_visible_to,
    inbox_for,
    inbox_values,
    policies_visible_to,
    request_with_trail,
    requests_visible_to,
    summaries_for,
)

MONEY = {"max_digits": 18, "decimal_places": 2, "read_only": True}


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


# --------------------------------------------------------------------------- requests


class ApprovalUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _user_ref(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.username}


class ApprovalRequestSerializer(serializers.ModelSerializer):
    # The registry's key (registered at run time: a string, not an enum); its label beside.
    kind = serializers.CharField(read_only=True)
    kind_label = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    submitter = serializers.SerializerMethodField()
    scope_region_name = serializers.CharField(source="scope_region.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    age_seconds = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    still_needed = serializers.SerializerMethodField()
    amount = serializers.DecimalField(**MONEY)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "kind",
            "kind_label",
            "owner_type",
            "owner_id",
            "summary",
            "amount",
            "region",
            "federation",
            "organization",
            "scope_region",
            "scope_region_name",
            "submitter",
            "reason",
            "state",
            "state_display",
            "submitted_at",
            "age_seconds",
            "due_at",
            "overdue",
            "still_needed",
        ]

    def get_kind_label(self, obj) -> str:
        return kind_label(obj.kind)

    def get_summary(self, obj) -> str:
        return self.context.get("summaries", {}).get(obj.pk) or f"{obj.owner_type} #{obj.owner_id}"

    @extend_schema_field(ApprovalUserSerializer)
    def get_submitter(self, obj):
        return _user_ref(obj.submitter)

    def get_age_seconds(self, obj) -> int:
        return max(0, int((self.context["now"] - obj.submitted_at).total_seconds()))

    def get_overdue(self, obj) -> bool:
        return obj.state == RequestState.PENDING and obj.due_at <= self.context["now"]

    def get_still_needed(self, obj) -> int:
        value = getattr(obj, "still_needed", None)
        if value is None:
            value = sum(r.still_needed for r in obj.requirements.all())
        return value


class RequirementSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    level_display = serializers.CharField(source="get_level_display")
    region = serializers.IntegerField(source="region_id")
    region_name = serializers.CharField(source="region.name")
    federation = serializers.IntegerField(source="federation_id", allow_null=True)
    federation_name = serializers.CharField(source="federation.name", allow_null=True, default=None)
    needed = serializers.IntegerField()
    given = serializers.IntegerField()
    is_open = serializers.BooleanField()


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    user_name = serializers.CharField()
    role = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)
    region = serializers.IntegerField(source="region_id")
    region_name = serializers.CharField(source="region.name")
    federation = serializers.IntegerField(source="federation_id", allow_null=True)
    federation_name = serializers.CharField(source="federation.name", allow_null=True, default=None)
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    verdict_display = serializers.CharField(source="get_verdict_display")
    reason = serializers.CharField()
    decided_at = serializers.DateTimeField()
    acting_for = serializers.SerializerMethodField()

    @extend_schema_field(ApprovalUserSerializer(allow_null=True))
    def get_acting_for(self, obj):
        return _user_ref(obj.delegation.from_user) if obj.delegation_id else None


class ApprovalRequestDetailSerializer(ApprovalRequestSerializer):
    requirements = RequirementSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)
    created_by = serializers.SerializerMethodField()

    class Meta(ApprovalRequestSerializer.Meta):
        fields = [
            *ApprovalRequestSerializer.Meta.fields,
            "created_by",
            "policy",
            "rule",
            "decided_at",
            "overdue_since",
            "requirements",
            "decisions",
        ]

    @extend_schema_field(ApprovalUserSerializer(allow_null=True))
    def get_created_by(self, obj):
        return _user_ref(obj.created_by)


def _iso(value, zone) -> str:
    """As DRF's DateTimeField gives it (in the current time zone), without its per-call cost."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _inbox_row(v: dict, summaries: dict, now, zone, labels: dict, states: dict) -> dict:
    """ApprovalRequestSerializer's output for one inbox row (from selectors.inbox_values),
    built directly: the inbox is the engine's hottest list, and model instances and a
    ModelSerializer cost more on 50 rows than the database does (tests/approvals/test_api.py
    checks both give the same)."""
    name = f"{v['r_submitter_first']} {v['r_submitter_last']}".strip()
    return {
        "id": v["r_id"],
        "kind": v["r_kind"],
        "kind_label": labels[v["r_kind"]],
        "owner_type": v["r_owner_type"],
        "owner_id": v["r_owner_id"],
        "summary": summaries[v["r_id"]],
        "amount": f"{v['r_amount']:.2f}",
        "region": v["r_region"],
        "federation": v["r_federation"],
        "organization": v["r_organization"],
        "scope_region": v["r_scope_region"],
        "scope_region_name": v["r_scope_region_name"],
        "submitter": {"id": v["r_submitter"], "name": name or v["r_submitter_username"]},
        "reason": v["r_reason"],
        "state": v["r_state"],
        "state_display": states[v["r_state"]],
        "submitted_at": _iso(v["r_submitted_at"], zone),
        "age_seconds": max(0, int((now - v["r_submitted_at"]).total_seconds())),
        "due_at": _iso(v["r_due_at"], zone),
        "overdue": v["r_state"] == RequestState.PENDING and v["r_due_at"] <= now,
        "still_needed": v["r_still_needed"],
    }


class DecideInputSerializer(StrictInputSerializer):
    reason = ReasonField(required=False, allow_blank=True)


class InboxFilter(django_filters.FilterSet):
    """Filters of the inbox, on its rows' copies of the requests' fields (all indexed)."""

    kind = django_filters.CharFilter(max_length=64)
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte")
    overdue = StrictBooleanFilter(method="filter_overdue", label="Waiting past the policy limit")
    region = IntegerFilter(method="filter_region", label="Within this region (id)")

    class Meta:
        model = ApprovalRequirement
        fields = ["kind"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        now = timezone.now()
        return queryset.filter(due_at__lte=now) if value else queryset.filter(due_at__gt=now)

    def filter_region(self, queryset, name, value):
        path = Region.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            raise serializers.ValidationError({name: [_("No region with this id.")]})
        return queryset.filter(scope_path__startswith=path)


INBOX_COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """Counts at most INBOX_COUNT_CAP + 1 rows (`SELECT count(*) FROM (... LIMIT n)`): an
    exact count of 100,000 waiting requests costs more than the page itself. The ordering is
    kept, so the count walks the same index as the page and stops early."""

    @cached_property
    def true_count_exceeds_cap(self) -> bool:
        return self._limited_count > INBOX_COUNT_CAP

    @cached_property
    def _limited_count(self) -> int:
        return self.object_list[: INBOX_COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._limited_count, INBOX_COUNT_CAP)


class InboxPagination(PageNumberPagination):
    """Page numbers; `count` is exact up to 1,000 (`count_exact` says whether it is);
    beyond that, filters narrow the inbox."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_exact"] = not self.page.paginator.true_count_exceeds_cap
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "false: more than `count` requests wait (the count stops at 1,000)",
        }
        schema["required"] = [*schema.get("required", []), "count_exact"]
        return schema


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The list is the inbox: pending requests the current user may decide now, oldest
    first (`ordering`: submitted_at, -submitted_at, amount, -amount). The detail shows any
    request in the user's scope with its requirements and decisions."""

    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    pagination_class = InboxPagination
    ordering_fields = ["submitted_at", "amount"]
    ordering = ["submitted_at", "id"]

    def get_serializer_class(self):
        if self.action == "list":
            return ApprovalRequestSerializer  # the schema; rows are built by _inbox_row
        return ApprovalRequestDetailSerializer

    filterset_class = InboxFilter

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        queryset = super().filter_queryset(queryset)
        ordering = list(queryset.query.order_by)
        if "id" not in ordering and "-id" not in ordering:
            queryset = queryset.order_by(*ordering, "id")
        return queryset

    def get_queryset(self):
        if self.action == "list":
            return inbox_for(self.request.user)
        return request_with_trail(requests_visible_to(self.request.user))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(inbox_values(self.filter_queryset(self.get_queryset())))
        summaries = summaries_for(
            (v["r_id"], v["r_kind"], v["r_owner_type"], v["r_owner_id"]) for v in page
        )
        now, zone = timezone.now(), timezone.get_current_timezone()
        labels = {v["r_kind"]: kind_label(v["r_kind"]) for v in page}
        states = {s.value: str(s.label) for s in RequestState}
        rows = [_inbox_row(v, summaries, now, zone, labels, states) for v in page]
        return self.get_paginated_response(rows)

    def _detail(self, pk):
        obj = request_with_trail(requests_visible_to(self.request.user)).get(pk=pk)
        context = {**self.get_serializer_context(), "summaries": summaries_for([obj])}
        return ApprovalRequestDetailSerializer(obj, context=context).data

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        return Response(self._detail(obj.pk))

    def _decide(self, request, pk, service):
        data = DecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = service(
            actor=request.user,
            request_id=_path_id(pk),
            reason=data.validated_data.get("reason", ""),
        )
        return Response(self._detail(result.pk))

    @extend_schema(request=DecideInputSerializer, responses=ApprovalRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, pk, services.request_approve)

    @extend_schema(request=DecideInputSerializer, responses=ApprovalRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject: final; the reason is required."""
        return self._decide(request, pk, services.request_reject)

    @extend_schema(request=DecideInputSerializer, responses=ApprovalRequestDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        """Return for changes: final for this request; the reason is required."""
        return self._decide(request, pk, services.request_return)

    @extend_schema(request=DecideInputSerializer, responses=ApprovalRequestDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The submitter takes the request back."""
        return self._decide(request, pk, services.request_withdraw)


def _path_id(pk) -> int:
    """A path id as the services take it (DRF hands it over as text)."""
    try:
        value = int(pk)
    except (TypeError, ValueError):
        return 0
    return value if 0 < value < 2**63 else 0


# --------------------------------------------------------------------------- policies


class TierSerializer(serializers.Serializer):
    above_amount = MoneyField(allow_zero=True)
    level = serializers.ChoiceField(choices=Level.choices)
    count = serializers.IntegerField(min_value=1, max_value=9)


class TierOutSerializer(TierSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)


class ApprovalPolicySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    kind_label = serializers.SerializerMethodField()
    region_name = serializers.CharField(source="region.name", read_only=True)
    tiers = TierOutSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalPolicy
        fields = [
            "id",
            "kind",
            "kind_label",
            "region",
            "region_name",
            "overdue_after_hours",
            "is_active",
            "tiers",
            "created_at",
            "updated_at",
        ]

    def get_kind_label(self, obj) -> str:
        return kind_label(obj.kind)


class PolicyCreateSerializer(StrictInputSerializer):
    kind = serializers.CharField(max_length=64)
    region = serializers.IntegerField(min_value=1)
    overdue_after_hours = serializers.IntegerField(min_value=1, max_value=24 * 365, default=72)
    tiers = TierSerializer(many=True, allow_empty=False, max_length=20)
    reason = ReasonField(required=False, allow_blank=True)


class PolicyUpdateSerializer(StrictInputSerializer):
    overdue_after_hours = serializers.IntegerField(min_value=1, max_value=24 * 365, required=False)
    is_active = serializers.BooleanField(required=False)
    tiers = TierSerializer(many=True, allow_empty=False, max_length=20, required=False)
    reason = ReasonField(required=False, allow_blank=True)


class PolicyFilter(django_filters.FilterSet):
    kind = django_filters.CharFilter(max_length=64)
    is_active = StrictBooleanFilter()
    region = IntegerFilter()

    class Meta:
        model = ApprovalPolicy
        fields = ["kind", "region", "is_active"]


def _tiers(rows):
    return [dict(t) for t in rows] if rows is not None else None


class ApprovalPolicyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Approval policies: readable by every signed-in user, written by administrators.
    A change never alters requests already submitted."""

    serializer_class = ApprovalPolicySerializer
    filterset_class = PolicyFilter
    ordering_fields = ["kind", "id"]
    ordering = ["kind", "id"]

    def get_queryset(self):
        return policies_visible_to(self.request.user)

    def _out(self, policy):
        return ApprovalPolicySerializer(self.get_queryset().get(pk=policy.pk)).data

    @extend_schema(request=PolicyCreateSerializer, responses={201: ApprovalPolicySerializer})
    def create(self, request):
        data = PolicyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        policy = services.policy_create(
            actor=request.user,
            kind=v["kind"],
            region=v["region"],
            tiers=_tiers(v["tiers"]),
            overdue_after_hours=v["overdue_after_hours"],
            reason=v.get("reason", ""),
        )
        return Response(self._out(policy), status=status.HTTP_201_CREATED)

    @extend_schema(request=PolicyUpdateSerializer, responses=ApprovalPolicySerializer)
    def partial_update(self, request, pk=None):
        policy = self.get_object()
        data = PolicyUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        policy = services.policy_update(
            actor=request.user,
            policy_id=policy.pk,
            tiers=_tiers(v.get("tiers")),
            overdue_after_hours=v.get("overdue_after_hours"),
            is_active=v.get("is_active"),
            reason=v.get("reason", ""),
        )
        return Response(self._out(policy))


# --------------------------------------------------------------------------- delegations


class DelegationSerializer(serializers.ModelSerializer):
    from_user = serializers.SerializerMethodField()
    to_user = serializers.SerializerMethodField()
    region_name = serializers.CharField(source="region.name", read_only=True)
    federation_name = serializers.CharField(
        source="federation.name", read_only=True, allow_null=True, default=None
    )
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = Delegation
        fields = [
            "id",
            "from_user",
            "to_user",
            "region",
            "region_name",
            "federation",
            "federation_name",
            "level",
            "level_display",
            "starts_on",
            "ends_on",
            "reason",
            "in_force",
            "created_at",
            "revoked_at",
        ]

    @extend_schema_field(ApprovalUserSerializer)
    def get_from_user(self, obj):
        return _user_ref(obj.from_user)

    @extend_schema_field(ApprovalUserSerializer)
    def get_to_user(self, obj):
        return _user_ref(obj.to_user)

    def get_in_force(self, obj) -> bool:
        return obj.in_force(timezone.localdate())


class DelegationInputSerializer(StrictInputSerializer):
    to_user = serializers.IntegerField(min_value=1)
    region = serializers.IntegerField(
        min_value=1, required=False, help_text="A region you hold as a finance officer."
    )
    federation = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Instead of a region: a federation you are staff of (federation-staff level).",
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = ReasonField(required=False, allow_blank=True)


class RevokeInputSerializer(StrictInputSerializer):
    reason = ReasonField(required=False, allow_blank=True)


class DelegationFilter(django_filters.FilterSet):
    region = IntegerFilter()
    federation = IntegerFilter()
    from_user = IntegerFilter()
    to_user = IntegerFilter()
    revoked = StrictBooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Delegation
        fields = ["region", "federation", "from_user", "to_user", "level"]


class DelegationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A finance officer hands their approvals at a region to a peer (same level and
    region), or federation staff theirs at a federation to another staff member of it, for
    a date range; revocable. Listed: one's own, and those in one's region or federation."""

    serializer_class = DelegationSerializer
    filterset_class = DelegationFilter
    ordering_fields = ["starts_on", "ends_on", "id"]
    ordering = ["-starts_on", "-id"]

    def get_queryset(self):
        return delegations_visible_to(self.request.user)

    def _out(self, delegation):
        return DelegationSerializer(self.get_queryset().get(pk=delegation.pk)).data

    @extend_schema(request=DelegationInputSerializer, responses={201: DelegationSerializer})
    def create(self, request):
        data = DelegationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        delegation = services.delegation_grant(
            actor=request.user,
            to_user=v["to_user"],
            region=v.get("region"),
            federation=v.get("federation"),
            starts_on=v["starts_on"],
            ends_on=v["ends_on"],
            reason=v.get("reason", ""),
        )
        return Response(self._out(delegation), status=status.HTTP_201_CREATED)

    @extend_schema(request=RevokeInputSerializer, responses=DelegationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        data = RevokeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delegation = services.delegation_revoke(
            actor=request.user,
            delegation_id=_path_id(pk),
            reason=data.validated_data.get("reason", ""),
        )
        return Response(self._out(delegation))
