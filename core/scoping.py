"""Scoping primitives: how a model says what it belongs to, and who answers "who may see it".

A model declares its scope on itself, as lookups from the model to a region (its `path` is
compared), a federation id and an organization id, any of them optional:

    class Organization(AuditedModel):
        scope = Scope(region="community", organization="id")

`region_path` names a column holding a region's materialized path directly (the ledger keeps
its accounts' scope as data, not as foreign keys into the domain). The kernel does not know
users' roles: `access` registers the resolver that turns a user into a filter
(`register_resolver`, from AccessConfig.ready), and everything above asks through
`visible_to()` here or through access's selectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class Scope:
    """Lookups from a model to what it is scoped to (None: the model has no such link)."""

    region: str | None = None  # a lookup to a Region ("self" for Region itself)
    region_path: str | None = None  # a column holding a region path
    federation: str | None = None  # a lookup to a federation id
    organization: str | None = None  # a lookup to an organization id

    def lookups(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v}

    def prefixed(self, prefix: str) -> Scope:
        """The same scope seen from a model that reaches this one through `prefix`."""

        def join(lookup):
            if not lookup:
                return lookup
            if lookup == "self":
                return prefix
            return f"{prefix}__{lookup}"

        return Scope(
            region=join(self.region),
            region_path=join(self.region_path),
            federation=join(self.federation),
            organization=join(self.organization),
        )


class Resolver(Protocol):
    def sees_everything(self, user) -> bool: ...

    def scope_q(self, user, **lookups) -> Q | None: ...

    def has_role(self, user, *roles: str) -> bool: ...

    def has_any_role(self, user) -> bool: ...


_resolver: Resolver | None = None


def register_resolver(resolver: Resolver) -> None:
    global _resolver
    _resolver = resolver


def resolver() -> Resolver:
    if _resolver is None:
        raise RuntimeError("No scope resolver registered (is the access app installed?)")
    return _resolver


def scope_of(model) -> Scope | None:
    return (
        getattr(model, "scope", None) if isinstance(getattr(model, "scope", None), Scope) else None
    )


def sees_everything(user) -> bool:
    return resolver().sees_everything(user)


def visible_to(user, queryset: QuerySet, *, scope: Scope | None = None, distinct=False):
    """`queryset` narrowed to what `user` may see, by the model's declared scope."""
    scope = scope or scope_of(queryset.model)
    if scope is None:
        return queryset if sees_everything(user) else queryset.none()
    q = resolver().scope_q(user, **scope.lookups())
    if q is None:
        return queryset.none()
    queryset = queryset.filter(q)
    return queryset.distinct() if distinct else queryset
