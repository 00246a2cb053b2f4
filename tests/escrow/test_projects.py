"""With projects: a milestone paid into custody is receivable until confirmed, then spent
only for the project its sources are restricted to."""

from decimal import Decimal

import pytest

from access.models import Role
from approvals import services as approvals
from core.errors import Conflict, InvalidInput
from escrow import services
from escrow.models import ClaimState, DepositKind
from escrow.selectors import balance
from projects.models import Milestone, MilestonePaymentPart
from tests.escrow.factories import CLAIM_TIERS, pdf
from tests.factories import make_user
from tests.projects.factories import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(regions):
    world = make_world(regions)
    approvals.policy_create(actor=world["admin"], kind=services.STEP_CLAIM,
                            region=regions["city"], tiers=CLAIM_TIERS, reason="测试")  # fmt: skip
    return world


def _line(pw, claim, source, project=None, amount="100.00"):
    return services.line_add(
        actor=pw["member_rep"], claim_id=claim.pk, category="materials", amount=amount,
        payee_name="东营市副食店", payee_bank="中国银行东营分行",
        payee_account_number="6216601234567890", funding_source_id=source.pk,
        project_id=project.pk if project else None,
    )  # fmt: skip


def test_milestone_in_custody_then_spent_for_its_project_only(pw):
    account = services.account_open(actor=pw["staff"], federation_id=pw.r["federation_a"].pk,
                                    organization_id=pw.o["member"].pk)  # fmt: skip
    assert account.ledger_account_id == pw.o["custodial"].pk  # the one projects pays into
    (line,) = pw.lines("1000.00")
    project = pw.project(custody=True)
    pw.allocate(project, line, "1000.00")
    pw.contract(project, "1000.00")
    milestone = Milestone.objects.get(project=project)
    pw.accept(milestone)
    payment = pw.pay(milestone)
    part = MilestonePaymentPart.objects.get(payment=payment)
    assert balance(account).receivable == Decimal("1000.00")
    deposit = services.deposit_confirm(actor=pw["staff"], transfer_id=part.transfer_id,
                                       bank_reference="MS-2026-1")  # fmt: skip
    assert deposit.kind == DepositKind.MILESTONE and deposit.funding_source == line.source
    assert balance(account).available == Decimal("1000.00")

    claim = services.claim_create(actor=pw["member_rep"], account_id=account.pk, title="助餐食材")
    with pytest.raises(Conflict) as exc:  # the source pays only its project: name it
        _line(pw, claim, line.source)
    assert exc.value.code == "source_not_for_project"
    other = pw.project(custody=True, title="另一个项目")
    with pytest.raises(Conflict) as exc:
        _line(pw, claim, line.source, other)
    assert exc.value.code == "source_not_for_project"
    legal = pw.project()  # not this member's custody project: named as missing
    with pytest.raises(InvalidInput) as exc:
        _line(pw, claim, line.source, legal)
    assert "project" in exc.value.fields
    charged = _line(pw, claim, line.source, project)
    assert charged.project == project
    services.voucher_add(actor=pw["member_rep"], claim_id=claim.pk, file=pdf())
    services.claim_submit(actor=pw["member_rep"], claim_id=claim.pk)
    services.claim_forward(actor=pw["staff"], claim_id=claim.pk)
    claim.refresh_from_db()
    checker = make_user("es_pw_staff2", Role.FEDERATION_STAFF, federation=pw.r["federation_a"])
    approvals.request_approve(actor=checker, request_id=claim.approval_request_id)
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED
