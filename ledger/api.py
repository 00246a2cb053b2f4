"""Ledger API (read-only): accounts with their cached balances, and transfers.

Both lists are scoped (selectors), cursor-paginated over the unchanging id, and filtered
by indexed columns only.
"""

from datetime import datetime, time, timedelta

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from core.api.filters import IntegerFilter
from core.api.pagination import CursorPagination

from .models import Account, AccountKind, Transfer, TransferKind, TransferState
from .selectors import accounts_visible_to, balance_by_source, transfers_visible_to

MONEY = {"max_digits": 18, "decimal_places": 2, "read_only": True}


class LedgerCursorPagination(CursorPagination):
    ordering = "-id"


class SourceShareSerializer(serializers.Serializer):
    source_account = serializers.IntegerField(source="source_account_id")
    posted = serializers.DecimalField(**MONEY)
    pending = serializers.DecimalField(**MONEY)
    receivable = serializers.DecimalField(**MONEY)
    available = serializers.DecimalField(**MONEY)


class LedgerAccountSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    is_guarded = serializers.BooleanField(read_only=True)
    posted = serializers.DecimalField(source="balance.posted", **MONEY)
    pending = serializers.DecimalField(
        source="balance.pending", help_text=_("Reserved: pending transfers out."), **MONEY
    )
    receivable = serializers.DecimalField(
        source="balance.receivable", help_text=_("Pending transfers in."), **MONEY
    )
    available = serializers.DecimalField(source="balance.available", **MONEY)
    federation = serializers.IntegerField(
        source="federation_id", read_only=True, allow_null=True, help_text=_("Federation id.")
    )
    organization = serializers.IntegerField(
        source="organization_id", read_only=True, allow_null=True, help_text=_("Organization id.")
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "is_guarded",
            "owner_type",
            "owner_id",
            "region_path",
            "federation",
            "organization",
            "is_active",
            "posted",
            "pending",
            "receivable",
            "available",
            "created_at",
        ]


class LedgerAccountDetailSerializer(LedgerAccountSerializer):
    by_source = serializers.SerializerMethodField()

    class Meta(LedgerAccountSerializer.Meta):
        fields = [*LedgerAccountSerializer.Meta.fields, "by_source"]

    @extend_schema_field(SourceShareSerializer(many=True))
    def get_by_source(self, account):
        return SourceShareSerializer(balance_by_source(account), many=True).data


class LedgerTransferSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = Transfer
        fields = [
            "id",
            "from_account",
            "to_account",
            "amount",
            "source_account",
            "kind",
            "kind_display",
            "memo",
            "state",
            "state_display",
            "two_phase",
            "reverses",
            "reversed_by",
            "created_by",
            "created_at",
            "resolved_at",
            "resolved_by",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_reversed_by(self, transfer):
        reversal = getattr(transfer, "reversal_id", None)
        return reversal


class LedgerAccountFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=AccountKind.choices)
    owner_id = IntegerFilter()
    region_path = django_filters.CharFilter(
        field_name="region_path",
        lookup_expr="startswith",
        label=_("In the region subtree with this path (e.g. /370500/370502/)"),
    )
    federation = IntegerFilter(field_name="federation_id", label=_("Federation id"))
    organization = IntegerFilter(field_name="organization_id", label=_("Organization id"))

    class Meta:
        model = Account
        fields = ["kind", "owner_type", "owner_id", "code"]


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


class LedgerTransferFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(
        method="filter_account", label=_("From or to this account (id)")
    )
    source = django_filters.NumberFilter(
        field_name="source_account_id", label=_("Funding source account (id)")
    )
    kind = django_filters.ChoiceFilter(choices=TransferKind.choices)
    state = django_filters.ChoiceFilter(choices=TransferState.choices)
    date_from = django_filters.DateFilter(
        method="filter_date_from", label=_("Created on or after this day (Asia/Shanghai)")
    )
    date_to = django_filters.DateFilter(
        method="filter_date_to", label=_("Created on or before this day (Asia/Shanghai)")
    )

    class Meta:
        model = Transfer
        fields = ["from_account", "to_account", "reverses"]

    def filter_account(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(from_account_id=value) | Q(to_account_id=value))

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_day_start(value + timedelta(days=1)))


class LedgerAccountViewSet(viewsets.ReadOnlyModelViewSet):
    """Ledger accounts the user may see, with cached balances (detail: by funding source)."""

    pagination_class = LedgerCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = LedgerAccountFilter

    def get_serializer_class(self):
        if self.action == "retrieve":
            return LedgerAccountDetailSerializer
        return LedgerAccountSerializer

    def get_queryset(self):
        return accounts_visible_to(self.request.user).select_related("balance")


class LedgerTransferViewSet(viewsets.ReadOnlyModelViewSet):
    """Transfers touching an account the user may see (newest first)."""

    pagination_class = LedgerCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = LedgerTransferFilter
    serializer_class = LedgerTransferSerializer

    def get_queryset(self):
        from django.db.models import OuterRef, Subquery

        reversal = Transfer.objects.filter(reverses_id=OuterRef("pk")).values("id")[:1]
        return transfers_visible_to(self.request.user).annotate(reversal_id=Subquery(reversal))
