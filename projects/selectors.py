"""Reads of projects, narrowed to what the user may see (issue 14 item 10).

- finance officers and auditors: projects whose purchaser lies in their region subtree;
- federation staff: their federation's custody projects and the projects of its members;
- an organization's representative: the projects its organization undertakes (or delivers
  as a member);
- administrators: everything.

Every related row (allocations, contracts, milestones, payments, evidence, evaluations,
visits) is seen exactly when its project is. Out of scope answers 404 (the object is not
in the queryset).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery

from access.models import Role
from access.selectors import active_assignments, scope_q, sees_everything
from federations.models import Membership, Organization, Region

from .models import (
    Allocation,
    Contract,
    Demand,
    Evaluation,
    Evidence,
    Milestone,
    MilestonePayment,
    Offer,
    Project,
    SupervisionVisit,
)

ZERO = Decimal("0.00")
REGION_ROLES = (Role.FINANCE_OFFICER, Role.AUDITOR)


def project_q(user, prefix: str = "") -> Q | None:
    """The filter of the projects `user` may see, seen through `prefix` ("project__")."""
    if sees_everything(user):
        return Q()
    q = None

    def add(part):
        nonlocal q
        q = part if q is None else q | part

    for a in active_assignments(user):
        if a.role in REGION_ROLES and a.region_id:
            add(Q(**{f"{prefix}purchaser__path__startswith": a.region.path}))
        elif a.role == Role.FEDERATION_STAFF and a.federation_id:
            members = Membership.objects.filter(federation_id=a.federation_id).values(
                "organization_id"
            )
            add(
                Q(**{f"{prefix}custody_federation_id": a.federation_id})
                | Q(**{f"{prefix}party_organization_id__in": members})
            )
        elif a.role == Role.ORGANIZATION_REP and a.organization_id:
            add(Q(**{f"{prefix}party_organization_id": a.organization_id}))
    return q


def _narrow(user, queryset: QuerySet, prefix: str = "") -> QuerySet:
    q = project_q(user, prefix)
    return queryset.none() if q is None else queryset.filter(q)


def projects_visible_to(user) -> QuerySet:
    return _narrow(
        user,
        Project.objects.select_related(
            "purchaser",
            "undertaker",
            "custody_federation",
            "member",
            "fiscal_year",
            "party_organization",
        ),
    )


def allocations_visible_to(user) -> QuerySet:
    return _narrow(
        user,
        Allocation.objects.select_related("project", "line__source", "line__budget"),
        "project__",
    )


def contracts_visible_to(user) -> QuerySet:
    return _narrow(user, Contract.objects.select_related("project"), "project__")


def milestones_visible_to(user) -> QuerySet:
    return _narrow(user, Milestone.objects.select_related("project"), "project__")


def payments_visible_to(user) -> QuerySet:
    return _narrow(
        user, MilestonePayment.objects.select_related("milestone", "project"), "project__"
    )


def evidence_visible_to(user) -> QuerySet:
    return _narrow(user, Evidence.objects.select_related("milestone"), "milestone__project__")


def evaluations_visible_to(user) -> QuerySet:
    return _narrow(user, Evaluation.objects.select_related("project"), "project__")


def visits_visible_to(user) -> QuerySet:
    return _narrow(user, SupervisionVisit.objects.select_related("project"), "project__")


def demands_visible_to(user) -> QuerySet:
    """Needs of the communities in the user's region (any role: a federation's township, an
    organization's community)."""
    q = scope_q(user, region="community")
    queryset = Demand.objects.select_related("community")
    return queryset.none() if q is None else queryset.filter(q)


def offers_visible_to(user) -> QuerySet:
    """Offers in the user's region subtree or above it (a county-wide offer serves the
    townships below), and an organization's own offers."""
    queryset = Offer.objects.select_related("organization", "area")
    if sees_everything(user):
        return queryset
    q = None
    for a in active_assignments(user):
        path = a.scope_path
        part = None
        if a.organization_id:
            part = Q(organization_id=a.organization_id)
        if path:
            codes = [c for c in path.split("/") if c]
            above = ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes))]
            region_part = Q(area__path__startswith=path) | Q(area__path__in=above)
            part = region_part if part is None else part | region_part
        if part is not None:
            q = part if q is None else q | part
    return queryset.none() if q is None else queryset.filter(q)


def regions_visible_to(user) -> QuerySet:
    q = scope_q(user, region="self")
    return Region.objects.none() if q is None else Region.objects.filter(q)


def organizations_visible_to(user) -> QuerySet:
    q = scope_q(user, region="community", organization="id")
    return Organization.objects.none() if q is None else Organization.objects.filter(q)


def latest_scores(organization_ids) -> dict[int, list[dict]]:
    """The latest evaluation scores (up to three) of each organization, newest first."""
    ids = sorted({i for i in organization_ids if i})
    if not ids:
        return {}
    rows = (
        Evaluation.objects.filter(organization_id__in=ids)
        .order_by("organization_id", "-evaluated_on", "-id")
        .values("organization_id", "project_id", "score", "evaluated_on", "evaluator_kind")
    )
    found: dict[int, list[dict]] = {}
    for row in rows:
        bucket = found.setdefault(row["organization_id"], [])
        if len(bucket) < 3:
            bucket.append(
                {
                    "project": row["project_id"],
                    "score": row["score"],
                    "evaluated_on": row["evaluated_on"],
                    "evaluator_kind": row["evaluator_kind"],
                }
            )
    return found


def latest_score_subquery(outer: str = "party_organization_id"):
    """The latest score of the organization `outer` names, for annotating a list."""
    return Subquery(
        Evaluation.objects.filter(organization_id=OuterRef(outer))
        .order_by("-evaluated_on", "-id")
        .values("score")[:1]
    )
