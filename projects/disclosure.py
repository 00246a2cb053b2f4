"""Disclosure per fiscal year (财预〔2017〕87号): what was bought, from whom, for how much, for
how long and how it was evaluated. Public: no personal data (no representative, phone or
identity number; organizations by name only)."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from core.documents import table_csv, table_xlsx

from .models import Contract, ContractState, Evaluation, Project, ProjectState

DISCLOSED_STATES = (
    ProjectState.CONTRACTED,
    ProjectState.IN_PROGRESS,
    ProjectState.DELIVERED,
    ProjectState.ACCEPTED,
    ProjectState.CLOSED,
    ProjectState.TERMINATED,
)
HEADER = (
    _("Project"),
    _("Purchaser"),
    _("Category"),
    _("Content"),
    _("Undertaker"),
    _("Amount (CNY)"),
    _("Term"),
    _("State"),
    _("Evaluation score"),
)


def rows(year: int) -> list[dict]:
    """One row per contracted project of `year` (a fixed number of queries)."""
    latest = Evaluation.objects.filter(project=OuterRef("pk")).order_by("-evaluated_on", "-id")
    projects = (
        Project.objects.filter(fiscal_year__year=year, state__in=DISCLOSED_STATES)
        .select_related("purchaser", "undertaker", "custody_federation", "member")
        .annotate(score=Subquery(latest.values("score")[:1]))
        .order_by("purchaser__path", "id")
    )
    contracts = {
        c.project_id: c
        for c in Contract.objects.filter(
            project__in=projects, state__in=(ContractState.SIGNED, ContractState.TERMINATED)
        )
    }
    out = []
    for p in projects:
        contract = contracts.get(p.pk)
        if contract is None:
            continue
        undertaker = (
            f"{p.custody_federation.name}（代{p.member.name}）"
            if p.custody_federation_id
            else p.undertaker.name
        )
        out.append(
            {
                "id": p.pk,
                "title": p.title,
                "purchaser": p.purchaser.name,
                "category": p.get_category_display(),
                "content": contract.content[:300],
                "undertaker": undertaker,
                "amount": contract.price,
                "term_start": contract.term_start,
                "term_end": contract.term_end,
                "state": p.get_state_display(),
                "score": p.score,
            }
        )
    return out


def _table(data: list[dict]):
    return (
        [str(h) for h in HEADER],
        [
            [r["title"], r["purchaser"], r["category"], r["content"], r["undertaker"], r["amount"],
             f"{r['term_start']}—{r['term_end']}", r["state"],
             "" if r["score"] is None else r["score"]]
            for r in data
        ],
    )  # fmt: skip


def export_csv(year: int) -> bytes:
    return table_csv(*_table(rows(year)))


def export_xlsx(year: int) -> bytes:
    header, body = _table(rows(year))
    return table_xlsx(header, body, title=f"{year}")
