"""Scoping: the one place that narrows what a user may see.

Every app's selectors call `visible_to()` with the lookups that lead from its model to a
region, a federation and an organization. Each of the user's role assignments adds what
it reaches: its own federation or organization where the model has that lookup, and
otherwise the region subtree the assignment covers. Administrators see everything.
"""

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import ApiToken, Role, RoleAssignment


def active_assignments(user) -> list[RoleAssignment]:
    """The user's active role assignments, loaded once per user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_active_assignments", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(user=user, is_active=True).select_related(
                "region", "federation__township", "organization__community"
            )
        )
        user._active_assignments = cached
    return cached


def roles_of(user) -> set[str]:
    return {a.role for a in active_assignments(user)}


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def sees_everything(user) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active) or has_role(
        user, Role.ADMINISTRATOR
    )


def scope_q(
    user,
    *,
    region: str | None = None,
    region_path: str | None = None,
    federation: str | None = None,
    organization: str | None = None,
    roles: tuple[str, ...] | None = None,
) -> Q | None:
    """A filter for what `user` may see; None when nothing. `region` is a lookup to a
    Region (its path is used), `region_path` a column holding a region path,
    `federation`/`organization` lookups to those objects' ids.
    `region="self"` scopes Region itself. `roles` limits which assignments count.
    """
    if sees_everything(user):
        return Q()
    q = None
    for a in active_assignments(user):
        if roles is not None and a.role not in roles:
            continue
        part = None
        if a.federation_id and federation:
            part = Q(**{federation: a.federation_id})
        elif a.organization_id and organization:
            part = Q(**{organization: a.organization_id})
        elif region and a.scope_path:
            key = "path__startswith" if region == "self" else f"{region}__path__startswith"
            part = Q(**{key: a.scope_path})
        elif region_path and a.scope_path:
            part = Q(**{f"{region_path}__startswith": a.scope_path})
        if part is not None:
            q = part if q is None else q | part
    return q


def scope_signature(user) -> tuple:
    """Everything scope_q and the selectors built on it read from `user`: the same signature,
    the same filters (a compiled read keys on it; a changed assignment changes it)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ()
    assignments = sorted(
        (a.role, a.region_id or 0, a.federation_id or 0, a.organization_id or 0, a.scope_path or "")
        for a in active_assignments(user)
    )
    return (user.pk, sees_everything(user), tuple(assignments))


def visible_to(user, queryset: QuerySet, *, distinct: bool = False, **lookups) -> QuerySet:
    """`queryset` narrowed to `user`'s scopes; `distinct` when a lookup crosses a to-many."""
    q = scope_q(user, **lookups)
    if q is None:
        return queryset.none()
    queryset = queryset.filter(q)
    return queryset.distinct() if distinct else queryset


def has_any_role(user) -> bool:
    return bool(active_assignments(user))


class ScopeResolver:
    """What core.scoping asks (registered from AccessConfig.ready)."""

    sees_everything = staticmethod(sees_everything)
    scope_q = staticmethod(scope_q)
    has_role = staticmethod(has_role)
    has_any_role = staticmethod(has_any_role)


def tokens_of(user) -> QuerySet:
    """The user's API tokens that still work: not revoked, used within the idle expiry."""
    cutoff = timezone.now() - ApiToken.idle_expiry()
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, last_used_at__gt=cutoff)
