"""The ledger's transfers in the auditors' timeline (registered from LedgerConfig.ready)."""

from django.db.models import Q

from core import timeline

from .models import Transfer
from .selectors import transfers_visible_to


def transfers_in_region(path: str) -> Q:
    """Transfers with either account in the region subtree at `path` (the accounts'
    region_path column, indexed for prefix queries)."""
    return Q(from_account__region_path__startswith=path) | Q(
        to_account__region_path__startswith=path
    )


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
