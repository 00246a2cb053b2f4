"""Custodial accounts, deposits, expense claims, statements and bank statements. Thin: parse,
call a service or selector, serialize. Deciding a forwarded claim is done where every
approval is: `/api/v1/approvals/{id}/approve/`."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.api.filters import IntegerFilter
from core.api.serializers import MoneyField, ReasonField, StrictInputSerializer
from core.documents import CONTENT_TYPES
from core.errors import InvalidInput, NotFound
from core.uploads import JPEG, PDF, PNG, serve_private

from . import reconciliation, services, statements
from .models import (
    AccountState,
    BankLine,
    BankMatch,
    BankStatement,
    ClaimLine,
    ClaimState,
    CustodialAccount,
    Deposit,
    DepositKind,
    DepositState,
    ExpenseCategory,
    ExpenseClaim,
    Statement,
    Voucher,
)
from .selectors import (
    accounts_visible_to,
    bank_statements_visible_to,
    claims_visible_to,
    dashboard,
    deposits_visible_to,
    is_staff_of,
    mask_account_number,
    pending_into,
    statements_visible_to,
    vouchers_visible_to,
)

FILE_TYPE_PARAM = OpenApiParameter(
    "file_type", OpenApiTypes.STR, enum=["csv", "xlsx", "pdf"], required=False
)
FILE_RESPONSES = {(200, CONTENT_TYPES[t].split(";")[0]): OpenApiTypes.BINARY for t in CONTENT_TYPES}


class EscrowReasonInput(StrictInputSerializer):
    reason = ReasonField()


class EscrowOptionalReasonInput(StrictInputSerializer):
    reason = ReasonField(required=False, allow_blank=True)


# --------------------------------------------------------------------------- accounts


class AccountSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    federation_name = serializers.CharField(source="federation.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    posted = MoneyField(allow_zero=True, source="ledger_account.balance.posted", read_only=True)
    reserved = MoneyField(allow_zero=True, source="ledger_account.balance.pending", read_only=True)
    receivable = MoneyField(
        allow_zero=True, source="ledger_account.balance.receivable", read_only=True
    )

    class Meta:
        model = CustodialAccount
        fields = [
            "id", "federation", "federation_name", "organization", "organization_name",
            "ledger_account", "state", "state_display", "frozen_reason", "frozen_by", "frozen_at",
            "advance_voucher_days", "opened_by", "opened_at", "closed_at", "posted", "reserved",
            "receivable",
        ]  # fmt: skip


class AccountInput(StrictInputSerializer):
    federation = serializers.IntegerField(min_value=1)
    organization = serializers.IntegerField(min_value=1)
    reason = ReasonField(required=False, allow_blank=True)


class AccountPatch(StrictInputSerializer):
    advance_voucher_days = serializers.IntegerField(min_value=1, max_value=365)
    reason = ReasonField(required=False, allow_blank=True)


class AccountFilter(django_filters.FilterSet):
    federation = IntegerFilter(field_name="federation_id")
    state = django_filters.ChoiceFilter(choices=AccountState.choices)

    class Meta:
        model = CustodialAccount
        fields = ["federation", "state"]


class ReceivableSerializer(serializers.Serializer):
    transfer = serializers.IntegerField(source="pk")
    amount = MoneyField()
    from_account = serializers.CharField(source="from_account.name")
    source_account = serializers.CharField(source="source_account.name")
    memo = serializers.CharField()
    created_at = serializers.DateTimeField()


class RefundSerializer(serializers.Serializer):
    transfer = serializers.IntegerField(source="pk")
    amount = MoneyField()
    source_account = serializers.IntegerField(source="source_account_id")


class DashboardMember(serializers.Serializer):
    account = serializers.IntegerField()
    organization = serializers.CharField()
    federation = serializers.CharField()
    state = serializers.CharField()
    posted = MoneyField(allow_zero=True)
    reserved = MoneyField(allow_zero=True)
    receivable = MoneyField(allow_zero=True)


class DashboardSource(serializers.Serializer):
    source_account = serializers.IntegerField()
    name = serializers.CharField()
    posted = MoneyField(allow_zero=True)
    reserved = MoneyField(allow_zero=True)
    receivable = MoneyField(allow_zero=True)


class DashboardAdvance(serializers.Serializer):
    claim = serializers.IntegerField()
    title = serializers.CharField()
    total = MoneyField(allow_zero=True)
    due_on = serializers.DateField()
    organization = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    total_held = MoneyField(allow_zero=True)
    total_reserved = MoneyField(allow_zero=True)
    total_receivable = MoneyField(allow_zero=True)
    members = DashboardMember(many=True)
    by_source = DashboardSource(many=True)
    claims_waiting = serializers.IntegerField()
    claims_waiting_total = MoneyField(allow_zero=True)
    oldest_waiting_days = serializers.IntegerField()
    advances_overdue = DashboardAdvance(many=True)


class DashboardParams(StrictInputSerializer):
    federation = serializers.IntegerField(min_value=1, required=False)


class CustodialAccountViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Custodial accounts (资金代管账户) a federation keeps for its member organizations
    without legal personality: open, freeze and unfreeze (with a reason), return the
    remainder to its sources, close at zero. Balances from the ledger."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["id", "opened_at"]
    ordering = ["id"]

    def get_queryset(self):
        return accounts_visible_to(self.request.user).select_related("ledger_account__balance")

    def _out(self, account, code=status.HTTP_200_OK):
        return Response(AccountSerializer(self.get_queryset().get(pk=account.pk)).data, status=code)

    @extend_schema(request=AccountInput, responses={201: AccountSerializer})
    def create(self, request):
        data = AccountInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        account = services.account_open(
            actor=request.user, federation_id=v["federation"], organization_id=v["organization"],
            reason=v.get("reason", ""),
        )  # fmt: skip
        return self._out(account, status.HTTP_201_CREATED)

    @extend_schema(request=AccountPatch, responses=AccountSerializer)
    def partial_update(self, request, pk=None):
        account = self.get_object()
        data = AccountPatch(data=request.data)
        data.is_valid(raise_exception=True)
        services.account_update(actor=request.user, account_id=account.pk, **data.validated_data)
        return self._out(account)

    def _step(self, request, service):
        account = self.get_object()
        data = EscrowReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        service(actor=request.user, account_id=account.pk, **data.validated_data)
        return self._out(account)

    @extend_schema(request=EscrowReasonInput, responses=AccountSerializer)
    @action(detail=True, methods=["post"])
    def freeze(self, request, pk=None):
        """Freeze (no money leaves): federation staff or the region's finance officers."""
        return self._step(request, services.account_freeze)

    @extend_schema(request=EscrowReasonInput, responses=AccountSerializer)
    @action(detail=True, methods=["post"])
    def unfreeze(self, request, pk=None):
        return self._step(request, services.account_unfreeze)

    @extend_schema(request=EscrowReasonInput, responses=AccountSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close at zero (return the remainder first)."""
        return self._step(request, services.account_close)

    @extend_schema(request=EscrowReasonInput, responses={201: RefundSerializer(many=True)})
    @action(detail=True, methods=["post"], url_path="return-remainder")
    def return_remainder(self, request, pk=None):
        """Give each funding source back its money left here, one transfer naming it."""
        account = self.get_object()
        data = EscrowReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.account_return_remainder(
            actor=request.user, account_id=account.pk, **data.validated_data
        )
        return Response(RefundSerializer(done, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ReceivableSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        filterset_class=None,
    )
    def receivable(self, request, pk=None):
        """Money announced for the account that has not arrived (pending transfers in)."""
        account = self.get_object()
        rows = pending_into([account.ledger_account_id]).order_by("id")[:500]
        return Response(ReceivableSerializer(rows, many=True).data)

    @extend_schema(parameters=[DashboardParams], responses=DashboardSerializer)
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        filterset_class=None,
    )
    def dashboard(self, request):
        """Total held, per member and per source, receivable, claims waiting and their age,
        overdue advances (of the accounts you see; `federation` narrows it)."""
        params = DashboardParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = dashboard(request.user, federation_id=params.validated_data.get("federation"))
        return Response(DashboardSerializer(data).data)


# --------------------------------------------------------------------------- deposits


class DepositSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    amount = MoneyField()

    class Meta:
        model = Deposit
        fields = ["id", "account", "kind", "kind_display", "transfer", "funding_source", "amount",
                  "payer", "memo", "state", "state_display", "bank_reference", "confirmed_by",
                  "confirmed_at", "created_by", "created_at"]  # fmt: skip


class DepositInput(StrictInputSerializer):
    account = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=[DepositKind.CAMPAIGN, DepositKind.OTHER])
    funding_source = serializers.IntegerField(min_value=1)
    amount = MoneyField()
    payer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    memo = serializers.CharField(max_length=500, required=False, allow_blank=True)
    idempotency_key = serializers.CharField(max_length=80)
    reason = ReasonField(required=False, allow_blank=True)


class ConfirmInput(StrictInputSerializer):
    transfer = serializers.IntegerField(min_value=1)
    bank_reference = serializers.CharField(max_length=100)
    reason = ReasonField(required=False, allow_blank=True)


class DepositFilter(django_filters.FilterSet):
    account = IntegerFilter(field_name="account_id")
    state = django_filters.ChoiceFilter(choices=DepositState.choices)

    class Meta:
        model = Deposit
        fields = ["account", "state"]


class DepositViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Money into custodial accounts: receivable until federation staff confirm its arrival
    with the bank reference (milestone payments from projects appear at the account's
    `receivable/` and are confirmed here by their transfer id)."""

    serializer_class = DepositSerializer
    filterset_class = DepositFilter
    ordering_fields = ["id", "amount"]
    ordering = ["-id"]

    def get_queryset(self):
        return deposits_visible_to(self.request.user)

    @extend_schema(request=DepositInput, responses={201: DepositSerializer})
    def create(self, request):
        """Announce campaign money or other income (with its funding source)."""
        data = DepositInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        deposit = services.deposit_announce(
            actor=request.user, account_id=v.pop("account"),
            funding_source_id=v.pop("funding_source"), **v,
        )  # fmt: skip
        return Response(DepositSerializer(deposit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConfirmInput, responses=DepositSerializer)
    @action(detail=False, methods=["post"])
    def confirm(self, request):
        """Confirm arrival: the pending transfer is posted; who, when and the reference kept."""
        data = ConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        deposit = services.deposit_confirm(actor=request.user, transfer_id=v.pop("transfer"), **v)
        return Response(DepositSerializer(deposit).data)

    @extend_schema(request=EscrowReasonInput, responses=DepositSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        """Cancel announced money that will not come."""
        deposit = self.get_object()
        data = EscrowReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        deposit = services.deposit_void(
            actor=request.user, deposit_id=deposit.pk, **data.validated_data
        )
        return Response(DepositSerializer(deposit).data)


# --------------------------------------------------------------------------- claims


class ClaimLineSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    payee_account_number = serializers.SerializerMethodField()

    class Meta:
        model = ClaimLine
        fields = ["id", "category", "category_display", "description", "amount", "payee_name",
                  "payee_bank", "payee_account_number", "funding_source", "project",
                  "reservation"]  # fmt: skip

    def get_payee_account_number(self, line) -> str:
        """In full only for those who pay (the custodian federation's staff)."""
        if self.context.get("payer"):
            return line.payee_account_number
        return mask_account_number(line.payee_account_number)


class VoucherSerializer(serializers.ModelSerializer):
    class Meta:
        model = Voucher
        fields = ["id", "kind", "size", "original_name", "sha256", "uploaded_by", "uploaded_at"]


class ClaimSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    total = MoneyField(allow_zero=True)
    organization_name = serializers.CharField(source="account.organization.name", read_only=True)

    class Meta:
        model = ExpenseClaim
        fields = ["id", "account", "organization_name", "title", "state", "state_display",
                  "is_advance", "total", "approval_request", "created_by", "created_at",
                  "submitted_at", "decided_at", "paid_at", "paid_by", "payout_reference",
                  "vouchers_due_on", "vouchers_received_at", "last_reason"]  # fmt: skip


class ClaimDetailSerializer(ClaimSerializer):
    lines = serializers.SerializerMethodField()
    vouchers = VoucherSerializer(many=True, read_only=True)

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "lines", "vouchers"]

    @extend_schema_field(ClaimLineSerializer(many=True))
    def get_lines(self, claim):
        return ClaimLineSerializer(
            claim.lines.select_related("funding_source").all(), many=True, context=self.context
        ).data


class ClaimInput(StrictInputSerializer):
    account = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200)
    is_advance = serializers.BooleanField(required=False)
    reason = ReasonField(required=False, allow_blank=True)


class ClaimPatch(StrictInputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    is_advance = serializers.BooleanField(required=False)
    reason = ReasonField(required=False, allow_blank=True)


class ClaimLineInput(StrictInputSerializer):
    category = serializers.ChoiceField(choices=ExpenseCategory.choices)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    amount = MoneyField()
    payee_name = serializers.CharField(max_length=200)
    payee_bank = serializers.CharField(max_length=200)
    payee_account_number = serializers.CharField(max_length=40)
    funding_source = serializers.IntegerField(min_value=1)
    project = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    reason = ReasonField(required=False, allow_blank=True)


class VoucherInput(StrictInputSerializer):
    file = serializers.FileField()
    reason = ReasonField(required=False, allow_blank=True)


class PayInput(StrictInputSerializer):
    payout_reference = serializers.CharField(max_length=100)
    idempotency_key = serializers.CharField(max_length=80)
    reason = ReasonField(required=False, allow_blank=True)


class ClaimApprovalOut(serializers.Serializer):
    approval_request = serializers.IntegerField(help_text="The approval request opened.")
    state = serializers.CharField()


class ClaimFilter(django_filters.FilterSet):
    account = IntegerFilter(field_name="account_id")
    state = django_filters.ChoiceFilter(choices=ClaimState.choices)

    class Meta:
        model = ExpenseClaim
        fields = ["account", "state"]


class ExpenseClaimViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Expense claims of an organization's representative: draft (lines, vouchers) → submitted
    → reviewed by federation staff (forward to approval, return for more information, reject)
    → approved by finance officers in the approval engine (the money is reserved) → paid by
    federation staff with a payout reference (once). Payees' account numbers are masked except
    for the federation's staff, who pay."""

    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter
    ordering_fields = ["id", "total", "submitted_at"]
    ordering = ["-id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return claims_visible_to(self.request.user)

    def _detail(self, claim, code=status.HTTP_200_OK):
        claim = self.get_queryset().prefetch_related("vouchers").get(pk=claim.pk)
        payer = is_staff_of(self.request.user, claim.account.federation_id)
        return Response(ClaimDetailSerializer(claim, context={"payer": payer}).data, status=code)

    @extend_schema(responses=ClaimDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(self.get_object())

    @extend_schema(request=ClaimInput, responses={201: ClaimDetailSerializer})
    def create(self, request):
        data = ClaimInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        claim = services.claim_create(actor=request.user, account_id=v.pop("account"), **v)
        return self._detail(claim, status.HTTP_201_CREATED)

    @extend_schema(request=ClaimPatch, responses=ClaimDetailSerializer)
    def partial_update(self, request, pk=None):
        claim = self.get_object()
        data = ClaimPatch(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_update(actor=request.user, claim_id=claim.pk, **data.validated_data)
        return self._detail(claim)

    @extend_schema(request=ClaimLineInput, responses={201: ClaimDetailSerializer})
    @action(detail=True, methods=["post"])
    def lines(self, request, pk=None):
        """Add a line (draft or returned claims)."""
        claim = self.get_object()
        data = ClaimLineInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        services.line_add(
            actor=request.user, claim_id=claim.pk, funding_source_id=v.pop("funding_source"),
            project_id=v.pop("project", None), **v,
        )  # fmt: skip
        return self._detail(claim, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ClaimDetailSerializer)
    @action(detail=True, methods=["delete"], url_path=r"lines/(?P<line_id>[0-9]+)")
    def remove_line(self, request, pk=None, line_id=None):
        claim = self.get_object()
        line = claim.lines.filter(pk=int(line_id)).first()
        if line is None:
            raise NotFound()
        services.line_remove(actor=request.user, line_id=line.pk)
        return self._detail(claim)

    @extend_schema(
        request={"multipart/form-data": VoucherInput}, responses={201: VoucherSerializer}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def vouchers(self, request, pk=None):
        """Attach a voucher: PDF, JPEG or PNG (type read from the content), size-limited."""
        claim = self.get_object()
        data = VoucherInput(data=request.data)
        data.is_valid(raise_exception=True)
        voucher = services.voucher_add(actor=request.user, claim_id=claim.pk, **data.validated_data)
        return Response(VoucherSerializer(voucher).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={(200, t): OpenApiTypes.BINARY for t in (PDF, JPEG, PNG)},
        operation_id="expense_claims_voucher_file",
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        url_path=r"vouchers/(?P<voucher_id>[0-9]+)",
    )
    def voucher_file(self, request, pk=None, voucher_id=None):
        """A voucher's file: only for those who see the claim (else 404)."""
        claim = self.get_object()
        voucher = vouchers_visible_to(request.user).filter(pk=int(voucher_id), claim=claim).first()
        if voucher is None:
            raise NotFound()
        content_type = {"pdf": PDF, "jpeg": JPEG, "png": PNG}[voucher.kind]
        extension = "jpg" if voucher.kind == "jpeg" else voucher.kind
        return serve_private(
            voucher.file, content_type=content_type, filename=f"voucher-{voucher.pk}.{extension}"
        )

    def _claim_step(self, request, service, serializer=EscrowOptionalReasonInput):
        claim = self.get_object()
        data = serializer(data=request.data)
        data.is_valid(raise_exception=True)
        service(actor=request.user, claim_id=claim.pk, **data.validated_data)
        return self._detail(claim)

    @extend_schema(request=EscrowOptionalReasonInput, responses=ClaimDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """The representative submits the claim to the federation's review."""
        return self._claim_step(request, services.claim_submit)

    @extend_schema(request=EscrowOptionalReasonInput, responses=ClaimDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._claim_step(request, services.claim_withdraw)

    @extend_schema(request=EscrowOptionalReasonInput, responses={201: ClaimApprovalOut})
    @action(detail=True, methods=["post"])
    def forward(self, request, pk=None):
        """Federation staff forward the reviewed claim to the approval engine."""
        claim = self.get_object()
        data = EscrowOptionalReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        req = services.claim_forward(actor=request.user, claim_id=claim.pk, **data.validated_data)
        return Response(
            {"approval_request": req.pk, "state": req.state}, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=EscrowReasonInput,
        responses=ClaimDetailSerializer,
        operation_id="expense_claims_return",
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_claim(self, request, pk=None):
        """Federation staff return the claim for more information."""
        return self._claim_step(request, services.claim_return, EscrowReasonInput)

    @extend_schema(request=EscrowReasonInput, responses=ClaimDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._claim_step(request, services.claim_reject, EscrowReasonInput)

    @extend_schema(request=PayInput, responses=ClaimDetailSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Pay an approved claim (federation staff): once per claim; the same key again
        answers the paid claim."""
        return self._claim_step(request, services.claim_pay, PayInput)


# --------------------------------------------------------------------------- statements


class StatementSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="account.organization.name", read_only=True)
    opening_balance = MoneyField(allow_zero=True)
    total_in = MoneyField(allow_zero=True)
    total_out = MoneyField(allow_zero=True)
    closing_balance = MoneyField(allow_zero=True)

    class Meta:
        model = Statement
        fields = ["id", "account", "organization_name", "period_start", "period_end",
                  "opening_balance", "total_in", "total_out", "closing_balance",
                  "movement_count", "by_source", "generated_at"]  # fmt: skip


class StatementInput(StrictInputSerializer):
    account = serializers.IntegerField(min_value=1)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)


class FileTypeParams(StrictInputSerializer):
    file_type = serializers.ChoiceField(choices=["csv", "xlsx", "pdf"], required=False)


class OnDemandParams(FileTypeParams):
    account = serializers.IntegerField(min_value=1)
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end is before the start.")]})
        if (attrs["end"] - attrs["start"]).days > 366 * 5:
            raise serializers.ValidationError({"end": [_("At most five years.")]})
        return attrs


class OnDemandSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    opening_balance = MoneyField(allow_zero=True)
    total_in = MoneyField(allow_zero=True)
    total_out = MoneyField(allow_zero=True)
    closing_balance = MoneyField(allow_zero=True)
    movement_count = serializers.IntegerField()
    by_source = serializers.JSONField()


class StatementFilter(django_filters.FilterSet):
    account = IntegerFilter(field_name="account_id")
    period = django_filters.DateFilter(field_name="period_start", label="First day of the month")

    class Meta:
        model = Statement
        fields = ["account", "period"]


class StatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly statements (made on the 1st by the beat task, or here by federation staff;
    made once), as JSON, CSV, XLSX or PDF; and an on-demand statement for any period."""

    serializer_class = StatementSerializer
    filterset_class = StatementFilter
    ordering_fields = ["period_start", "id"]
    ordering = ["-period_start", "id"]

    def get_queryset(self):
        return statements_visible_to(self.request.user)

    @extend_schema(request=StatementInput, responses={201: StatementSerializer})
    def create(self, request):
        """Make an account's statement of a past month (again: the same statement)."""
        data = StatementInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        statement, new = statements.statement_request(
            actor=request.user, account_id=v["account"], year=v["year"], month=v["month"]
        )
        code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
        return Response(StatementSerializer(statement).data, status=code)

    @extend_schema(parameters=[FILE_TYPE_PARAM], responses=FILE_RESPONSES)
    @action(detail=True, methods=["get"], filter_backends=[], filterset_class=None)
    def download(self, request, pk=None):
        statement = self.get_object()
        params = FileTypeParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        file_type = params.validated_data.get("file_type", "pdf")
        result = statements.stored_figures(statement)
        name = f"statement-{statement.account_id}-{statement.period_start:%Y%m}"
        return statements.response(statement.account, result, file_type, name)

    @extend_schema(
        parameters=[OnDemandParams],
        responses={200: OnDemandSerializer, **FILE_RESPONSES},
        operation_id="statements_on_demand",
    )
    @action(detail=False, methods=["get"], filter_backends=[], url_path="on-demand",
            filterset_class=None, pagination_class=None)  # fmt: skip
    def on_demand(self, request):
        """Any period's statement of an account (computed from the ledger, not stored);
        without `file_type`, the figures as JSON."""
        params = OnDemandParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        v = params.validated_data
        account = accounts_visible_to(request.user).filter(pk=v["account"]).first()
        if account is None:
            raise NotFound()
        result = statements.figures(account, v["start"], v["end"])
        if "file_type" in v:
            name = f"statement-{account.pk}-{v['start']:%Y%m%d}-{v['end']:%Y%m%d}"
            return statements.response(account, result, v["file_type"], name)
        return Response(
            OnDemandSerializer(
                {
                    "account": account.pk,
                    "period_start": result.start,
                    "period_end": result.end,
                    "opening_balance": result.opening,
                    "total_in": result.total_in,
                    "total_out": result.total_out,
                    "closing_balance": result.closing,
                    "movement_count": result.count,
                    "by_source": result.by_source,
                }  # fmt: skip
            ).data
        )


# --------------------------------------------------------------------------- bank statements


class BankMatchSerializer(serializers.ModelSerializer):
    amount = MoneyField()

    class Meta:
        model = BankMatch
        fields = ["id", "line", "transfer", "amount", "state", "decided_by", "decided_at"]


class BankLineSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True)
    matches = BankMatchSerializer(many=True, read_only=True)

    class Meta:
        model = BankLine
        fields = ["id", "row", "date", "amount", "reference", "counterparty", "memo", "matches"]


class BankStatementSerializer(serializers.ModelSerializer):
    opening_balance = serializers.DecimalField(max_digits=18, decimal_places=2)
    closing_balance = serializers.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        model = BankStatement
        fields = ["id", "federation", "period_start", "period_end", "opening_balance",
                  "closing_balance", "file_name", "column_mapping", "state", "reconciliation",
                  "imported_by", "imported_at", "reconciled_at"]  # fmt: skip


class BankImportInput(StrictInputSerializer):
    federation = serializers.IntegerField(min_value=1)
    file = serializers.FileField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)
    opening_balance = serializers.DecimalField(max_digits=18, decimal_places=2)
    closing_balance = serializers.DecimalField(max_digits=18, decimal_places=2)
    mapping = serializers.JSONField(
        binary=True,
        help_text='Field → column name, e.g. {"date": "交易日期", "amount": "金额", '
        '"reference": "流水号"}; instead of amount, "credit" and "debit".',
    )
    reason = ReasonField(required=False, allow_blank=True)


class MatchInput(StrictInputSerializer):
    line = serializers.IntegerField(min_value=1)
    transfer = serializers.IntegerField(min_value=1)
    reason = ReasonField()


class BankStatementFilter(django_filters.FilterSet):
    federation = IntegerFilter(field_name="federation_id")

    class Meta:
        model = BankStatement
        fields = ["federation"]


class BankStatementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The federation's bank statements: import a month (CSV/XLSX, a column mapping, all rows
    or none), review suggested matches to ledger transfers, confirm, split (several matches
    for a line) or correct (remove, then add), then reconcile the month."""

    serializer_class = BankStatementSerializer
    filterset_class = BankStatementFilter
    ordering_fields = ["period_start", "id"]
    ordering = ["-period_start", "id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return bank_statements_visible_to(self.request.user)

    @extend_schema(request={"multipart/form-data": BankImportInput},
                   responses={201: BankStatementSerializer})  # fmt: skip
    def create(self, request):
        data = BankImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        statement = reconciliation.bank_statement_import(
            actor=request.user, federation_id=v.pop("federation"), **v
        )
        return Response(BankStatementSerializer(statement).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=BankLineSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        filterset_class=None,
        pagination_class=None,
    )
    def lines(self, request, pk=None):
        """The statement's lines with their matches."""
        statement = self.get_object()
        rows = statement.lines.prefetch_related("matches").order_by("row")
        return Response(BankLineSerializer(rows, many=True).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        filterset_class=None,
        pagination_class=None,
    )
    def report(self, request, pk=None):
        """Bank against ledger balance and the unmatched lines on both sides (now)."""
        return Response(reconciliation.report(self.get_object()))

    @extend_schema(request=MatchInput, responses={201: BankMatchSerializer})
    @action(detail=True, methods=["post"])
    def matches(self, request, pk=None):
        """Match a line to a ledger transfer by hand (several for one line: a split)."""
        statement = self.get_object()
        data = MatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not statement.lines.filter(pk=v["line"]).exists():
            raise InvalidInput(fields={"line": [_("No such line in this statement.")]})
        match = reconciliation.match_add(
            actor=request.user, line_id=v["line"], transfer_id=v["transfer"], reason=v["reason"]
        )
        return Response(BankMatchSerializer(match).data, status=status.HTTP_201_CREATED)

    def _match(self, statement, match_id):
        match = BankMatch.objects.filter(pk=int(match_id), line__statement=statement).first()
        if match is None:
            raise NotFound()
        return match

    @extend_schema(request=EscrowOptionalReasonInput, responses=BankMatchSerializer)
    @action(detail=True, methods=["post"], url_path=r"matches/(?P<match_id>[0-9]+)/confirm")
    def confirm_match(self, request, pk=None, match_id=None):
        match = self._match(self.get_object(), match_id)
        data = EscrowOptionalReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        match = reconciliation.match_confirm(
            actor=request.user, match_id=match.pk, **data.validated_data
        )
        return Response(BankMatchSerializer(match).data)

    @extend_schema(request=EscrowReasonInput, responses={204: None})
    @action(detail=True, methods=["post"], url_path=r"matches/(?P<match_id>[0-9]+)/remove")
    def remove_match(self, request, pk=None, match_id=None):
        """Remove a wrong match (then add the right one)."""
        match = self._match(self.get_object(), match_id)
        data = EscrowReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        reconciliation.match_remove(actor=request.user, match_id=match.pk, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=EscrowOptionalReasonInput, responses=BankStatementSerializer)
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        """Record the month's reconciliation: balances and the listed differences."""
        statement = self.get_object()
        data = EscrowOptionalReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        statement = reconciliation.reconcile(
            actor=request.user, statement_id=statement.pk, **data.validated_data
        )
        return Response(BankStatementSerializer(statement).data)


__all__ = [
    "CustodialAccountViewSet",
    "DepositViewSet",
    "ExpenseClaimViewSet",
    "StatementViewSet",
    "BankStatementViewSet",
]
