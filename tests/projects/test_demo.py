"""The demo projects: one in every state, loaded twice without moving money twice; payments
of custody projects receivable in the member's custodial account; the ledger verifies."""

import io

from django.core.management import call_command

from approvals.models import ApprovalPolicy
from core.context import COMMAND_USERNAME, acting_as
from federations.models import Federation, Organization, Region
from ledger.models import Transfer
from ledger.selectors import account_for_owner, balance
from ledger.verification import verify_ledger
from projects import demo
from projects.models import MilestonePayment, Project, ProjectState


def test_seed_demo_projects_in_every_state_idempotent(db):
    call_command("seed_demo", stdout=io.StringIO())
    assert set(Project.objects.values_list("state", flat=True)) == set(ProjectState.values)
    assert set(ApprovalPolicy.objects.values_list("kind", flat=True)) >= set(demo.STEPS)
    counts = (Project.objects.count(), Transfer.objects.count(), MilestonePayment.objects.count())
    township = Region.objects.filter(level="township").order_by("code").first()
    places = {
        "city": Region.objects.get(level="city"),
        "township": township,
        "federation": Federation.objects.get(township=township, is_active=True),
        "organization": Organization.objects.get(
            community__parent=township, name__endswith="夕阳红志愿服务队",
            community=Region.objects.filter(parent=township).order_by("code").first(),
        ),
    }  # fmt: skip
    with acting_as(username=COMMAND_USERNAME, label="command:test"):
        demo.load(places)
    assert counts == (Project.objects.count(), Transfer.objects.count(),
                      MilestonePayment.objects.count())  # fmt: skip
    custodial = account_for_owner("federations.organization", places["organization"].pk,
                                  "custodial")  # fmt: skip
    paid_in_custody = sum(
        p.amount for p in MilestonePayment.objects.filter(payee_kind="custodial", state="paid")
    )
    assert paid_in_custody > 0
    assert balance(custodial).receivable == paid_in_custody
    assert verify_ledger().ok
