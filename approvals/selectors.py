"""Reads: who may see a request, who may decide it now (the inbox), an object's trail.

Deciding power comes from finance-officer role assignments on a region, and from
federation-staff role assignments on a federation: a requirement row names the region
whose officers it waits for (or, at the federation-staff level, the federation whose staff
it waits for), so "may decide now" is an indexed look-up of the user's regions and
federations among open requirements. Delegations in force take a region (a federation)
away from its delegator.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.models import Role
from access.selectors import active_assignments, scope_q, sees_everything
from core.compiled import prepared_cursor

from .models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRequest,
    ApprovalRequirement,
    Delegation,
    Level,
)
from .registry import get_step

REQUEST_LOOKUPS = {
    "region": "scope_region",
    "federation": "federation",
    "organization": "organization",
}


def officer_regions(user) -> dict[int, object]:
    """The regions `user` holds as a finance officer: {region_id: Region}."""
    return {
        a.region_id: a.region
        for a in active_assignments(user)
        if a.role == Role.FINANCE_OFFICER and a.region_id
    }


def staff_federations(user) -> dict[int, object]:
    """The federations `user` is staff of: {federation_id: Federation}."""
    return {
        a.federation_id: a.federation
        for a in active_assignments(user)
        if a.role == Role.FEDERATION_STAFF and a.federation_id
    }


def seats_of(user) -> set[tuple[str, int]]:
    """Where `user` may decide: ("region", id) as a finance officer, ("federation", id) as
    federation staff (a requirement's and a delegation's `seat`)."""
    return {("region", pk) for pk in officer_regions(user)} | {
        ("federation", pk) for pk in staff_federations(user)
    }


def delegations_in_force(*, on: datetime.date | None = None) -> QuerySet:
    on = on or timezone.localdate()
    return Delegation.objects.filter(revoked_at__isnull=True, starts_on__lte=on, ends_on__gte=on)


# The same rule as delegations_in_force, for the one statement that reads a decision's
# requirements (below): (alias of the delegation table) -> SQL, with params (on, on).
def _in_force_sql(alias: str) -> str:
    return f"{alias}.revoked_at IS NULL AND {alias}.starts_on <= %s AND {alias}.ends_on >= %s"


# The same rule as the `seat` of a requirement and of a delegation: a delegation `g` is at
# requirement `r`'s seat when both name the same federation (the federation-staff level;
# `region` is then the federation's township, not a seat), or neither names a federation
# and both name the same region (the finance officers' levels).
def _same_seat_sql(g: str, r: str) -> str:
    return (
        f"(CASE WHEN {r}.federation_id IS NULL "
        f"THEN {g}.federation_id IS NULL AND {g}.region_id = {r}.region_id "
        f"ELSE {g}.federation_id = {r}.federation_id END)"
    )


def _decision_requirements_sql() -> tuple[str, list[str]]:
    r, d, g = (m._meta for m in (ApprovalRequirement, ApprovalDecision, Delegation))
    fields = [f for f in r.concrete_fields]
    columns = ", ".join(f"r.{f.column}" for f in fields)
    sql = (
        f"SELECT {columns}, "
        f"EXISTS (SELECT 1 FROM {d.db_table} d WHERE d.request_id = %s AND d.user_id = %s), "
        f"EXISTS (SELECT 1 FROM {g.db_table} g WHERE g.from_user_id = %s "
        f"AND {_same_seat_sql('g', 'r')} AND {_in_force_sql('g')}), "
        f"(SELECT g.id FROM {g.db_table} g WHERE g.to_user_id = %s "
        f"AND {_same_seat_sql('g', 'r')} AND {_in_force_sql('g')} ORDER BY g.id LIMIT 1) "
        f"FROM {r.db_table} r WHERE r.request_id = %s ORDER BY r.id"
    )
    return sql, [f.attname for f in fields]


_DECISION_REQUIREMENTS: tuple[str, list[str]] | None = None


def _row_converters(attnames) -> list[list]:
    """What the ORM applies to each column it reads (the backend's and the field's own): a raw
    row skips them, and on SQLite a datetime would come back naive (read as local time, eight
    hours off, by the history row written from it)."""
    table = ApprovalRequirement._meta.db_table
    result = []
    for attname in attnames:
        column = ApprovalRequirement._meta.get_field(attname).get_col(table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        result.append([(converter, column) for converter in found])
    return result


def _converted(value, column_converters):
    for converter, column in column_converters:
        value = converter(value, column, connection)
    return value


def requirements_for_decision(
    request_id: int, user_id: int, *, on: datetime.date | None = None
) -> list[ApprovalRequirement]:
    """A request's requirements (id order), each with what `user_id`'s decision needs to
    know, in one statement (the decision's hot path, written out once rather than compiled by
    the ORM on every decision): `actor_decided` (the user already decided this request),
    `actor_away` (the user's approvals at the requirement's seat, its region or at the
    federation-staff level its federation, are delegated away today) and
    `actor_delegation_id` (the delegation in force the user received there, or None)."""
    global _DECISION_REQUIREMENTS
    if _DECISION_REQUIREMENTS is None:
        _DECISION_REQUIREMENTS = _decision_requirements_sql()
    sql, attnames = _DECISION_REQUIREMENTS
    day = (on or timezone.localdate()).isoformat()
    params = [request_id, user_id, user_id, day, day, user_id, day, day, request_id]
    n = len(attnames)
    converters = _row_converters(attnames)
    found = []
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            values = [
                _converted(value, column_converters)
                for value, column_converters in zip(row[:n], converters, strict=True)
            ]
            requirement = ApprovalRequirement.from_db(DEFAULT_DB_ALIAS, attnames, values)
            requirement.actor_decided = bool(row[n])
            requirement.actor_away = bool(row[n + 1])
            requirement.actor_delegation_id = row[n + 2]
            found.append(requirement)
    return found


def regions_delegated_away(user, *, on: datetime.date | None = None) -> set[int]:
    if not getattr(user, "pk", None):
        return set()
    return set(
        delegations_in_force(on=on)
        .filter(from_user=user, federation__isnull=True)
        .values_list("region_id", flat=True)
    )


def federations_delegated_away(user, *, on: datetime.date | None = None) -> set[int]:
    if not getattr(user, "pk", None):
        return set()
    return set(
        delegations_in_force(on=on)
        .filter(from_user=user, federation__isnull=False)
        .values_list("federation_id", flat=True)
    )


def decider_region_ids(user, *, on: datetime.date | None = None) -> list[int]:
    """The regions whose open officer requirements `user` may decide today."""
    regions = officer_regions(user)
    if not regions:
        return []
    away = regions_delegated_away(user, on=on)
    return sorted(set(regions) - away)


def decider_federation_ids(user, *, on: datetime.date | None = None) -> list[int]:
    """The federations whose open staff requirements `user` may decide today."""
    federations = staff_federations(user)
    if not federations:
        return []
    away = federations_delegated_away(user, on=on)
    return sorted(set(federations) - away)


def seat_q(regions, federations, prefix: str = "") -> Q | None:
    """Requirement rows waiting at these regions (officer levels) or federations (staff)."""
    q = None
    if regions:
        q = Q(**{f"{prefix}region_id__in": regions, f"{prefix}federation__isnull": True})
    if federations:
        part = Q(**{f"{prefix}federation_id__in": federations})
        q = part if q is None else q | part
    return q


def requests_visible_to(user) -> QuerySet:
    """Requests in the user's scope, those waiting for their federation's staff, and the
    ones they submitted."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ApprovalRequest.objects.none()
    if sees_everything(user):
        return ApprovalRequest.objects.all()
    q = scope_q(user, **REQUEST_LOOKUPS)
    own = Q(submitter=user)
    q = own if q is None else (q | own)
    federations = staff_federations(user)
    if federations:
        q |= Exists(
            ApprovalRequirement.objects.filter(
                request=OuterRef("pk"), federation_id__in=sorted(federations)
            )
        )
    return ApprovalRequest.objects.filter(q)


def still_needed_subquery(request_ref: str = "pk"):
    """Approvals a request still needs (open requirements' needed − given)."""
    return Coalesce(
        Subquery(
            ApprovalRequirement.objects.filter(request=OuterRef(request_ref), is_open=True)
            .order_by()
            .values("request")
            .annotate(n=Sum(F("needed") - F("given")))
            .values("n")[:1]
        ),
        0,
    )


def inbox_for(user, *, on: datetime.date | None = None) -> QuerySet:
    """What `user` may decide now, as open requirement rows (one per request): at a region
    they hold as a finance officer, or at a federation they are staff of (not delegated
    away), of a request they neither submitted nor created nor decided yet. Each row's
    `request` is loaded, and the row is annotated with `request_still_needed`; filter and
    order on the row's copies (kind, amount, submitted_at, due_at, scope_path)."""
    regions = decider_region_ids(user, on=on)
    federations = decider_federation_ids(user, on=on)
    seats = seat_q(regions, federations)
    if seats is None:
        return ApprovalRequirement.objects.none().annotate(request_still_needed=Value(0))
    decided = ApprovalDecision.objects.filter(request=OuterRef("request"), user=user)
    rows = (
        ApprovalRequirement.objects.filter(seats, is_open=True)
        .exclude(submitter=user)
        .exclude(created_by=user)
        .filter(~Exists(decided))
    )
    if len(regions) + len(federations) > 1:
        # One row per request, whichever of the user's seats it waits at.
        twin = ApprovalRequirement.objects.filter(
            seats, request=OuterRef("request"), is_open=True, pk__lt=OuterRef("pk")
        )
        rows = rows.filter(~Exists(twin))
    return rows.select_related("request__submitter", "request__scope_region").annotate(
        request_still_needed=still_needed_subquery("request")
    )


def inbox_requests(rows) -> list[ApprovalRequest]:
    """The requests of a page of inbox rows, in order, each with its `still_needed`."""
    out = []
    for row in rows:
        request = row.request
        request.still_needed = row.request_still_needed
        out.append(request)
    return out


INBOX_VALUES = {
    "r_id": F("request_id"),
    "r_kind": F("request__kind"),
    "r_owner_type": F("request__owner_type"),
    "r_owner_id": F("request__owner_id"),
    "r_amount": F("request__amount"),
    "r_region": F("request__region_id"),
    "r_federation": F("request__federation_id"),
    "r_organization": F("request__organization_id"),
    "r_scope_region": F("request__scope_region_id"),
    "r_scope_region_name": F("request__scope_region__name"),
    "r_submitter": F("request__submitter_id"),
    "r_submitter_username": F("request__submitter__username"),
    "r_submitter_first": F("request__submitter__first_name"),
    "r_submitter_last": F("request__submitter__last_name"),
    "r_reason": F("request__reason"),
    "r_state": F("request__state"),
    "r_submitted_at": F("request__submitted_at"),
    "r_due_at": F("request__due_at"),
}


def inbox_values(rows: QuerySet) -> QuerySet:
    """The inbox rows as plain values (no model instances: the API's hot path)."""
    return rows.values(**INBOX_VALUES, r_still_needed=F("request_still_needed"))


def summaries_for(requests) -> dict[int, str]:
    """{request id: the owning app's one-line summary}; one describe() call per kind.
    `requests`: ApprovalRequest objects, or (id, kind, owner_type, owner_id) tuples."""
    rows = [
        (r.pk, r.kind, r.owner_type, r.owner_id) if isinstance(r, ApprovalRequest) else tuple(r)
        for r in requests
    ]
    by_kind: dict[str, list] = {}
    for row in rows:
        by_kind.setdefault(row[1], []).append(row)
    out = {}
    for kind, group in by_kind.items():
        step = get_step(kind)
        texts = step.summaries(sorted({r[3] for r in group})) if step else {}
        for pk, _kind, owner_type, owner_id in group:
            out[pk] = texts.get(owner_id) or f"{owner_type} #{owner_id}"
    return out


def request_with_trail(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "submitter", "created_by", "policy", "scope_region", "region", "federation", "organization"
    ).prefetch_related(
        Prefetch(
            "decisions",
            queryset=ApprovalDecision.objects.select_related(
                "region", "federation", "delegation__from_user"
            ),
        ),
        Prefetch(
            "requirements",
            queryset=ApprovalRequirement.objects.select_related("region", "federation"),
        ),
    )


def approval_trail(owner_type: str, owner_id: int) -> list[ApprovalRequest]:
    """Every request of one object, newest first, with its decisions (three queries)."""
    return list(
        request_with_trail(
            ApprovalRequest.objects.filter(owner_type=owner_type, owner_id=owner_id)
        ).order_by("-submitted_at", "-id")
    )


def policies_visible_to(user) -> QuerySet:
    """Policies are public to every signed-in user (they say who must approve what)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ApprovalPolicy.objects.none()
    return ApprovalPolicy.objects.select_related("region").prefetch_related("tiers")


def policy_for(kind: str, ancestors: list) -> ApprovalPolicy | None:
    """The most specific active policy for `kind` among `ancestors` (regions, any order)."""
    if not ancestors:
        return None
    found = list(
        ApprovalPolicy.objects.filter(
            kind=kind, is_active=True, region_id__in=[r.pk for r in ancestors]
        )
        .select_related("region")
        .prefetch_related("tiers")
    )
    if not found:
        return None
    return max(found, key=lambda p: len(p.region.path))


def required_levels(tiers, amount: Decimal) -> dict[str, int]:
    """{level: distinct approvals needed} for `amount`: every tier whose threshold the
    amount exceeds applies (a threshold of 0: every amount); the largest count per level."""
    needed: dict[str, int] = {}
    for tier in tiers:
        if amount > tier.above_amount:
            needed[tier.level] = max(needed.get(tier.level, 0), tier.count)
    order = {level.value: i for i, level in enumerate(Level)}  # federation staff first
    return dict(sorted(needed.items(), key=lambda kv: order[kv[0]]))


def delegations_visible_to(user) -> QuerySet:
    """Administrators: all; finance officers and auditors: those of their region subtree;
    federation staff: those of their federation; everyone: their own."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Delegation.objects.none()
    qs = Delegation.objects.select_related(
        "from_user", "to_user", "region", "federation", "revoked_by"
    )
    if sees_everything(user):
        return qs
    q = scope_q(user, region="region", roles=(Role.FINANCE_OFFICER, Role.AUDITOR))
    q = Q(from_user=user) | Q(to_user=user) | (q if q is not None else Q(pk__in=[]))
    federations = staff_federations(user)
    if federations:
        q |= Q(federation_id__in=sorted(federations))
    return qs.filter(q)


def decisions_visible_to(user) -> QuerySet:
    """Decisions on the requests the user may see."""
    return ApprovalDecision.objects.filter(request__in=requests_visible_to(user).values("pk"))
