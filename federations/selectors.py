"""Scoped reads of regions, organizations, federations, staff and memberships."""

import datetime

from django.db.models import Prefetch
from django.utils import timezone

from access.models import Role
from access.selectors import active_assignments, sees_everything, visible_to

from .models import Federation, FederationStaff, Membership, Organization, Region


def regions_visible_to(user):
    return visible_to(user, Region.objects.select_related("parent"), region="self")


def organizations_visible_to(user):
    """Region roles: their subtree; federation staff: their federation's members (present
    and past); representatives: their own organization."""
    return visible_to(
        user,
        Organization.objects.select_related("community").prefetch_related(Prefetch("categories")),
        region="community",
        organization="id",
        federation="memberships__federation",
        distinct=True,
    )


def federations_visible_to(user):
    """Region roles: their subtree; staff: their own federation; representatives: the
    federations their organization is or was a member of (the ones holding its money)."""
    return visible_to(
        user,
        Federation.objects.select_related("township"),
        region="township",
        federation="id",
        organization="memberships__organization",
        distinct=True,
    )


def memberships_visible_to(user):
    return visible_to(
        user,
        Membership.objects.select_related("federation", "organization__community"),
        region="organization__community",
        federation="federation",
        organization="organization",
    )


def staff_visible_to(user):
    return visible_to(
        user,
        FederationStaff.objects.select_related("federation"),
        region="federation__township",
        federation="federation",
    )


def private_data_organization_ids(user, organizations, *, on: datetime.date | None = None):
    """Of `organizations` (with `community` loaded), the ids whose private data
    (representative's phone and identity number) `user` may read: administrators, auditors
    within their region, the organization's own representative, and staff of a federation
    it is a member of on `on` (today). One query at most."""
    organizations = list(organizations)
    ids = {o.pk for o in organizations}
    if sees_everything(user):
        return ids
    assignments = active_assignments(user)
    auditor_paths = [a.region.path for a in assignments if a.role == Role.AUDITOR and a.region_id]
    allowed = {
        o.pk for o in organizations if any(o.community.path.startswith(p) for p in auditor_paths)
    }
    allowed |= {
        a.organization_id
        for a in assignments
        if a.role == Role.ORGANIZATION_REP and a.organization_id in ids
    }
    federation_ids = {
        a.federation_id for a in assignments if a.role == Role.FEDERATION_STAFF and a.federation_id
    }
    rest = ids - allowed
    if federation_ids and rest:
        on = on or timezone.localdate()
        allowed |= set(
            Membership.objects.filter(
                Membership.active_q(on),
                federation_id__in=federation_ids,
                organization_id__in=rest,
            ).values_list("organization_id", flat=True)
        )
    return allowed
