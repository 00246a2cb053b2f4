"""The ledger's transfers in the auditors' timeline (registered from LedgerConfig.ready)."""

from django.db.models import Q

from core import timeline

from .models import Transfer
from .selectors import transfers_visible_to

# Lookups from an account to the region path its scope lies in.
ACCOUNT_REGION_PATHS = (
    "region__path",
    "federation__township__path",
    "organization__community__path",
)


def transfers_in_region(path: str) -> Q:
    """Transfers with either account in the region subtree at `path`."""
    q = Q()
    for side in ("from_account", "to_account"):
        for lookup in ACCOUNT_REGION_PATHS:
            q |= Q(**{f"{side}__{lookup}__startswith": path})
    return q


TRANSFERS = timeline.RecordTimeline(
    key="ledger.transfer",
    model=Transfer,
    visible_to=transfers_visible_to,
    region_q=transfers_in_region,
    at="created_at",
    user="created_by",
    reason="memo",
    fields=("amount", "from_account", "to_account", "source_account", "kind", "state", "reverses"),
    related=("from_account", "to_account", "source_account"),
    action="transfer",
)


def register() -> None:
    timeline.register(TRANSFERS)
