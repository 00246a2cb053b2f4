"""Writes for organizations, federations, their staff and memberships.

Every function: permission check first, validation, one transaction, a reason in the history.
Eligibility rules that other apps ask are in `federations.eligibility`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import Role
from access.permissions import require_role
from access.selectors import active_assignments, sees_everything
from core.audited import set_reason
from core.errors import Conflict, InvalidInput, NotPermitted

from .models import (
    Category,
    Federation,
    FederationStaff,
    Membership,
    Organization,
    OrganizationCategory,
)


def _validate(instance, **kwargs) -> None:
    """full_clean(), turned into a 400 naming the fields."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        raise InvalidInput(
            "；".join(
                f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in fields.items()
            )
            or "；".join(exc.messages),
            fields=fields or {"non_field_errors": exc.messages},
        ) from exc


def staff_federation_ids(user) -> set[int]:
    return {
        a.federation_id
        for a in active_assignments(user)
        if a.role == Role.FEDERATION_STAFF and a.federation_id
    }


def require_federation_staff(actor, federation: Federation) -> None:
    """Administrators, or staff of this very federation."""
    require_role(actor, Role.FEDERATION_STAFF)
    if sees_everything(actor) or federation.pk in staff_federation_ids(actor):
        return
    raise NotPermitted(_("You are not staff of this federation."), code="not_your_federation")


def require_registry_manager(actor, community) -> None:
    """Administrators, or staff of a federation serving the organization's township."""
    require_role(actor, Role.FEDERATION_STAFF)
    if sees_everything(actor):
        return
    paths = [
        a.federation.township.path
        for a in active_assignments(actor)
        if a.role == Role.FEDERATION_STAFF and a.federation_id
    ]
    if community is None or not any(community.path.startswith(p) for p in paths):
        raise NotPermitted(
            _("The organization is not in a township your federation serves."),
            code="not_your_township",
        )


def clean_categories(categories: Iterable[str] | None) -> list[str]:
    values = list(dict.fromkeys(categories or []))
    unknown = [c for c in values if c not in Category.values]
    if unknown:
        raise InvalidInput(
            _("Unknown category: %(c)s") % {"c": ", ".join(unknown)},
            fields={"categories": [_("Unknown category: %(c)s") % {"c": ", ".join(unknown)}]},
        )
    if not values:
        raise InvalidInput(
            _("Give at least one category."),
            fields={"categories": [_("Give at least one category.")]},
        )
    return values


def _set_categories(organization: Organization, categories: list[str], reason: str) -> None:
    existing = {c.category: c for c in organization.categories.all()}
    for value, row in existing.items():
        if value not in categories:
            set_reason(row, reason).delete()
    for value in categories:
        if value not in existing:
            row = OrganizationCategory(organization=organization, category=value)
            set_reason(row, reason).save()


def organization_save(
    *,
    actor,
    organization: Organization,
    categories: Iterable[str] | None = None,
    reason: str = "",
    check_permission: bool = True,
) -> Organization:
    """Create or update an organization (fields already set on the instance) and its categories.

    `categories` is required when creating; None on an update keeps them.
    """
    if check_permission:
        require_registry_manager(
            actor, organization.community if organization.community_id else None
        )
    creating = organization.pk is None
    if creating or categories is not None:
        categories = clean_categories(categories)
    if not creating:
        old = Organization.objects.filter(pk=organization.pk).values("community_id").first()
        if old and old["community_id"] != organization.community_id and check_permission:
            old_community = Organization.objects.get(pk=organization.pk).community
            require_registry_manager(actor, old_community)
    _validate(organization)
    with transaction.atomic():
        set_reason(organization, reason or (_("registered") if creating else _("updated")))
        organization.save()
        if categories is not None:
            _set_categories(organization, categories, reason or _("categories set"))
        if creating:
            join_registering_federation(actor=actor, organization=organization, reason=reason)
    return organization


def join_registering_federation(*, actor, organization: Organization, reason: str = "") -> None:
    """An organization that a federation's staff registers joins that federation today (the
    federation serves and supervises its township's organizations). Administrators' and
    commands' registrations join nothing by themselves."""
    if sees_everything(actor):
        return
    community_path = organization.community.path
    for a in active_assignments(actor):
        if (
            a.role == Role.FEDERATION_STAFF
            and a.federation_id
            and a.federation.is_active
            and community_path.startswith(a.federation.township.path)
        ):
            membership = Membership(
                federation=a.federation,
                organization=organization,
                joined_on=max(timezone.localdate(), organization.founded_on or datetime.date.min),
            )
            set_reason(membership, reason or _("registered by the federation")).save()
            return


def organization_change_state(
    *, actor, organization: Organization, state: str, reason: str
) -> Organization:
    """Suspend, reactivate or dissolve an organization. Dissolving also ends its memberships."""
    require_registry_manager(actor, organization.community)
    if state not in Organization.State.values:
        raise InvalidInput(fields={"state": [_("Unknown state.")]})
    if not reason:
        raise InvalidInput(
            _("Give a reason."), fields={"reason": [_("A state change needs a reason.")]}
        )
    if organization.state == Organization.State.DISSOLVED and state != organization.state:
        raise Conflict(_("A dissolved organization stays dissolved."), code="dissolved")
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        organization.state = state
        set_reason(organization, reason).save()
        if state == Organization.State.DISSOLVED:
            today = datetime.date.today()
            for membership in organization.memberships.filter(left_on__isnull=True):
                membership.left_on = max(today, membership.joined_on)
                set_reason(membership, reason).save()
    return organization


def federation_save(*, actor, federation: Federation, reason: str = "") -> Federation:
    """Create or update a federation (administrators)."""
    require_role(actor, Role.ADMINISTRATOR)
    if not federation.credit_code:
        raise InvalidInput(
            _("A federation is a registered legal person: give its credit code."),
            fields={"credit_code": [_("Required: a federation is a registered legal person.")]},
        )
    _validate(federation)
    with transaction.atomic():
        set_reason(
            federation, reason or (_("registered") if federation.pk is None else _("updated"))
        )
        federation.save()
    return federation


def staff_save(*, actor, staff: FederationStaff, reason: str = "") -> FederationStaff:
    """Add or update a staff member (administrators, or the federation's own staff)."""
    require_federation_staff(actor, staff.federation)
    if staff.pk:
        old = FederationStaff.objects.get(pk=staff.pk)
        if old.federation_id != staff.federation_id:
            require_federation_staff(actor, old.federation)
    _validate(staff)
    with transaction.atomic():
        set_reason(staff, reason or (_("staff added") if staff.pk is None else _("updated")))
        staff.save()
    return staff


staff_add = staff_save


def staff_end(
    *, actor, staff: FederationStaff, ended_on: datetime.date, reason: str
) -> FederationStaff:
    require_federation_staff(actor, staff.federation)
    if staff.ended_on is not None:
        raise Conflict(_("This person's work has already ended."), code="already_ended")
    staff.ended_on = ended_on
    _validate(staff)
    with transaction.atomic():
        set_reason(staff, reason or _("staff left")).save()
    return staff


def membership_add(
    *,
    actor,
    federation: Federation,
    organization: Organization,
    joined_on: datetime.date,
    reason: str = "",
) -> Membership:
    """An organization joins a federation (administrators or the federation's staff)."""
    require_federation_staff(actor, federation)
    if not federation.is_active:
        raise Conflict(_("The federation is no longer active."), code="federation_inactive")
    if organization.state == Organization.State.DISSOLVED:
        raise Conflict(_("The organization is dissolved."), code="organization_dissolved")
    membership = Membership(federation=federation, organization=organization, joined_on=joined_on)
    return membership_save(actor=actor, membership=membership, reason=reason or _("joined"))


def membership_save(*, actor, membership: Membership, reason: str = "") -> Membership:
    """Record or correct a membership (administrators or the federation's staff)."""
    require_federation_staff(actor, membership.federation)
    if membership.pk:
        old = Membership.objects.select_related("federation").get(pk=membership.pk)
        if old.federation_id != membership.federation_id:
            require_federation_staff(actor, old.federation)
    _validate(membership)
    with transaction.atomic():
        set_reason(membership, reason or _("updated")).save()
    return membership


def membership_end(
    *, actor, membership: Membership, left_on: datetime.date, reason: str
) -> Membership:
    """An organization leaves its federation on `left_on` (no longer a member that day)."""
    require_federation_staff(actor, membership.federation)
    if membership.left_on is not None:
        raise Conflict(_("The organization has already left."), code="already_left")
    membership.left_on = left_on
    _validate(membership)
    with transaction.atomic():
        set_reason(membership, reason or _("left")).save()
    return membership
