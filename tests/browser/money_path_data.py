"""Data for the browser money-path test, made through the services on top of the seeded
demo: run inside the demo's own environment (`manage.py shell -c`, see
`test_money_path.py`), it prints one JSON line with the ids the test opens.

- an allocation of the demo's approved project, made and submitted by the city finance
  officer, waiting in the county officer's inbox;
- an expense claim of the demo organization, approved in the engine, waiting for federation
  staff to pay it.
"""

import io
import json

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from access import services as access
from access.models import Role
from approvals.models import ApprovalRequest
from approvals.services import request_approve
from escrow import services as escrow
from escrow.models import CustodialAccount, ExpenseClaim
from projects import services as projects
from projects.models import Allocation, Project

User = get_user_model()
REASON = "浏览器测试：端到端资金路径"
ALLOCATION = "888.88"
CLAIM_TITLE = "浏览器测试：社区助老活动场地费"


def _png(name):
    """A real (tiny) image as the voucher."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def _user(username):
    return User.objects.get(username=username)


def prepare() -> dict:
    maker = _user("finance.city")
    project = Project.objects.filter(state="approved", title__endswith="邻里矛盾调解").get()
    line_id = Allocation.objects.filter(project=project).values_list("line_id", flat=True)[0]
    allocation = projects.allocation_create(
        actor=maker, project_id=project.pk, line=line_id, amount=ALLOCATION, reason=REASON
    )
    projects.allocation_submit(actor=maker, allocation_id=allocation.pk, reason="追加督导经费")

    # One staff member forwards, the second approves (the engine's federation-staff level).
    staff, checker = _user("federation"), _user("federation.acct")
    paid = ExpenseClaim.objects.filter(title="春节慰问品（已支付）").get()
    source = paid.lines.values_list("funding_source_id", flat=True)[0]
    # The demo organization's account has an overdue advance (new claims wait for its
    # vouchers): the claim is another member's, whose representative is made here.
    account = (
        CustodialAccount.objects.filter(federation_id=paid.account.federation_id, state="active")
        .exclude(pk=paid.account_id)
        .order_by("id")
        .first()
    )
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    rep = access.user_create(actor=admin, username="browser.rep2", password=None,
                             first_name="浏览器测试负责人", reason=REASON)  # fmt: skip
    access.role_assignment_grant(
        actor=admin, user_id=rep.pk, role=Role.ORGANIZATION_REP,
        organization_id=account.organization_id, reason=REASON,
    )  # fmt: skip
    claim = escrow.claim_create(actor=rep, account_id=account.pk, title=CLAIM_TITLE)
    escrow.line_add(
        actor=rep, claim_id=claim.pk, category="venue", amount="360.00",
        payee_name="府前社区居委会",
        payee_bank="中国农业银行东营分行", payee_account_number="6228480123456789",
        funding_source_id=source, description="活动场地",
    )  # fmt: skip
    escrow.voucher_add(actor=rep, claim_id=claim.pk, file=_png("场地费发票.png"))
    escrow.claim_submit(actor=rep, claim_id=claim.pk)
    request = escrow.claim_forward(actor=staff, claim_id=claim.pk, reason="凭证齐全")
    request_approve(actor=checker, request_id=request.pk, reason="同意")
    approval = ApprovalRequest.objects.get(
        owner_type="projects.allocation", owner_id=allocation.pk, state="pending"
    )
    return {"project": project.pk, "allocation": allocation.pk, "approval": approval.pk,
            "claim": claim.pk}  # fmt: skip


def main() -> None:
    print(json.dumps(prepare()))
