"""Escrow test builders: a funds world with a custodial account for organization A, money
in it (other income confirmed by federation staff), and claims walked through the engine."""

from __future__ import annotations

import contextlib
import datetime
import itertools
import zoneinfo
from dataclasses import dataclass
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile

from access.models import Role
from approvals import services as approvals
from escrow import services
from escrow.models import CustodialAccount, ExpenseClaim
from tests.factories import make_user
from tests.funds.factories import FundsWorld, make_world

# Expense claims: one federation staff member (not the forwarder); above ¥5,000 a township
# finance officer as well (escrow's own policy).
CLAIM_TIERS = services.CLAIM_POLICY_TIERS
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_keys = itertools.count(1)


def key(prefix="k") -> str:
    return f"{prefix}-{next(_keys)}"


def pdf(name="发票.pdf", content=PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@contextlib.contextmanager
def at(year, month, day, hour=12):
    """Everything that reads the clock (ledger postings, saves) sees this Shanghai time."""
    moment = datetime.datetime(year, month, day, hour, tzinfo=SHANGHAI)
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(datetime.UTC)):
        yield moment


@dataclass
class EscrowWorld:
    fw: FundsWorld
    account: CustodialAccount
    source: object

    def __getitem__(self, name):
        return self.fw.u[name]

    @property
    def r(self):
        return self.fw.r

    def deposit(self, amount="10000.00", *, account=None, source=None, ref=None, confirm=True):
        account = account or self.account
        deposit = services.deposit_announce(
            actor=self["staff"], account_id=account.pk, kind="other",
            funding_source_id=(source or self.source).pk, amount=amount, payer="东营区民政局",
            idempotency_key=key("dep"),
        )  # fmt: skip
        if confirm:
            deposit = services.deposit_confirm(
                actor=self["staff"], transfer_id=deposit.transfer_id,
                bank_reference=ref or key("BANK"),
            )  # fmt: skip
        return deposit

    def claim(self, amount="1000.00", *, lines=None, advance=False, vouchers=1, submit=True,
              forward=True, approve=True, account=None, source=None) -> ExpenseClaim:  # fmt: skip
        account = account or self.account
        rep = self["rep"] if account.pk == self.account.pk else self["rep_b"]
        claim = services.claim_create(
            actor=rep, account_id=account.pk, title="社区活动物资", is_advance=advance
        )
        for amt in lines or [amount]:
            services.line_add(
                actor=rep, claim_id=claim.pk, category="materials", amount=amt,
                payee_name="东营市文具店", payee_bank="中国工商银行东营分行",
                payee_account_number="6222021234567890123",
                funding_source_id=(source or self.source).pk,
            )  # fmt: skip
        for _ in range(vouchers):
            services.voucher_add(actor=rep, claim_id=claim.pk, file=pdf())
        if submit:
            services.claim_submit(actor=rep, claim_id=claim.pk)
            if forward:
                staff = self["staff"] if account.pk == self.account.pk else self["staff_b"]
                services.claim_forward(actor=staff, claim_id=claim.pk, reason="凭证齐全")
                if approve:
                    self.approve(claim)
        claim.refresh_from_db()
        return claim

    def approve(self, claim, by=None):
        """One approval by `by`; by default every approval the policy needs: a second
        staff member of the claim's federation, and above ¥5,000 the township officer."""
        claim.refresh_from_db()
        if by is None:
            a_side = claim.account_id == self.account.pk
            by = ["staff2" if a_side else "staff2_b"]
            if claim.total > services.CLAIM_STAFF_LIMIT:
                by.append("town_a" if a_side else "town_b")
        for who in [by] if isinstance(by, str) else by:
            approvals.request_approve(
                actor=self[who], request_id=claim.approval_request_id, reason="同意"
            )
        claim.refresh_from_db()
        return claim

    def pay(self, claim, *, ref=None, idem=None):
        return services.claim_pay(
            actor=self["staff"], claim_id=claim.pk, payout_reference=ref or key("PAY"),
            idempotency_key=idem or key("payout"),
        )  # fmt: skip


def make_escrow_world(regions, *, funded="10000.00") -> EscrowWorld:
    fw = make_world(regions)
    r = regions
    fw.u["rep"] = make_user("es_rep", Role.ORGANIZATION_REP, organization=r["org_a"])
    fw.u["rep_b"] = make_user("es_rep_b", Role.ORGANIZATION_REP, organization=r["org_b"])
    fw.u["staff_b"] = make_user("es_staff_b", Role.FEDERATION_STAFF, federation=r["federation_b"])
    # The checkers: a second staff member per federation (the first forwards claims).
    fw.u["staff2"] = make_user("es_staff2", Role.FEDERATION_STAFF, federation=r["federation_a"])
    fw.u["staff2_b"] = make_user("es_staff2_b", Role.FEDERATION_STAFF, federation=r["federation_b"])
    fw.u["auditor_b"] = make_user("es_auditor_b", Role.AUDITOR, region=r["town_b"])
    approvals.policy_create(
        actor=fw.u["admin"], kind=services.STEP_CLAIM, region=r["city"], tiers=CLAIM_TIERS,
        reason="测试",
    )  # fmt: skip
    source = fw.source("500000.00")
    account = services.account_open(
        actor=fw.u["staff"], federation_id=r["federation_a"].pk, organization_id=r["org_a"].pk
    )
    world = EscrowWorld(fw=fw, account=account, source=source)
    if funded:
        world.deposit(funded)
    return world
