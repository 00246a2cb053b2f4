"""Scoped reads of regions, organizations and federations."""

from access.selectors import visible_to

from .models import Federation, Organization, Region


def regions_visible_to(user):
    return visible_to(user, Region.objects.select_related("parent"), region="self")


def organizations_visible_to(user):
    return visible_to(
        user,
        Organization.objects.select_related("community"),
        region="community",
        organization="id",
    )


def federations_visible_to(user):
    return visible_to(
        user, Federation.objects.select_related("township"), region="township", federation="id"
    )
