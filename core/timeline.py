"""Timelines other than model history, registered by the app that owns them.

The auditors' workbench (audit/) shows one timeline of every change. Model history it finds
by itself; an app whose record is not model history (the ledger's insert-only transfers)
registers a `RecordTimeline` from its AppConfig.ready, so audit names no other app:

    timeline.register(RecordTimeline(key="ledger.transfer", model=Transfer,
                                     visible_to=transfers_visible_to, region_q=..., ...))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q


@dataclass(frozen=True)
class RecordTimeline:
    """An insert-only model whose rows are timeline entries of their own."""

    key: str  # the API's model name, e.g. "ledger.transfer"
    model: type
    visible_to: Callable  # (user) -> the rows the user may see
    region_q: Callable[[str], Q]  # (region path) -> rows in that region's subtree
    at: str = "created_at"  # when
    user: str = "created_by"  # who (a foreign key to the user)
    reason: str = "memo"  # why
    fields: tuple[str, ...] = ()  # shown as the entry's values
    related: tuple[str, ...] = ()  # select_related for the entries
    action: str = "record"  # the entry's action name (the ledger's: "transfer")


_records: dict[str, RecordTimeline] = {}


def register(source: RecordTimeline) -> None:
    _records[source.key] = source


def record_timelines() -> list[RecordTimeline]:
    return list(_records.values())
