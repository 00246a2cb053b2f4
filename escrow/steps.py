"""The approval step escrow owns (`expense_claim`), registered from EscrowConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from approvals.registry import register_step

from . import services
from .models import ExpenseClaim


def _describe_claims(ids: list[int]) -> dict[int, str]:
    return {
        c.pk: f"{c.account.organization.name}：{c.title}"
        for c in ExpenseClaim.objects.filter(pk__in=ids).select_related("account__organization")
    }


def _claim_federation(claim_id: int) -> int | None:
    """The federation whose staff approve a claim: its custodial account's custodian."""
    return (
        ExpenseClaim.objects.filter(pk=claim_id).values_list("account__federation_id", flat=True)
    ).first()


def register() -> None:
    register_step(
        services.STEP_CLAIM,
        label=_("Expense claim"),
        on_approved=services.claim_approved,
        on_rejected=services.claim_rejected,
        on_returned=services.claim_returned,
        on_withdrawn=services.claim_withdrawn,
        describe=_describe_claims,
        federation_of=_claim_federation,
    )
