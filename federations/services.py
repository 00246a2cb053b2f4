"""Writes for organizations, federations, their staff and memberships: one use case each.

Every function takes explicit values (never an instance its caller already changed) and, in
one transaction: checks the actor's role, then its scope (a row out of scope is `NotFound`,
as if it did not exist), locks the row it changes (`select_for_update`), checks the rules on
the row it read under the lock, writes, and records the reason in the history. On an update,
arguments left `UNSET` keep their value. The API, the admin and the register import call
these functions and nothing else to write.

Eligibility rules that other apps ask are in `federations.eligibility`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import Role
from access.permissions import require_role
from access.selectors import active_assignments, sees_everything
from core.audited import set_reason
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.services import UNSET, given, locked, validate

from .models import (
    Category,
    Federation,
    FederationStaff,
    Membership,
    Organization,
    OrganizationCategory,
    Region,
)
from .selectors import (
    federations_visible_to,
    memberships_visible_to,
    organizations_visible_to,
    staff_visible_to,
)

# ---------------------------------------------------------------------------------------
# Who may
# ---------------------------------------------------------------------------------------


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
    paths = registry_paths(actor)
    if paths is None:
        return
    if community is None or not any(community.path.startswith(p) for p in paths):
        raise NotPermitted(
            _("The organization is not in a township your federation serves."),
            code="not_your_township",
        )


# ---------------------------------------------------------------------------------------
# Rows named by id
# ---------------------------------------------------------------------------------------


def _no_such(field: str, message) -> InvalidInput:
    return InvalidInput(message, code="does_not_exist", fields={field: [str(message)]})


def registry_paths(actor) -> list[str] | None:
    """Township paths in which `actor` registers organizations and names them (staff: the
    townships their federations serve; None: everywhere, for administrators)."""
    if sees_everything(actor):
        return None
    return [
        a.federation.township.path
        for a in active_assignments(actor)
        if a.role == Role.FEDERATION_STAFF and a.federation_id
    ]


def _within(queryset, lookup: str, paths: list[str] | None):
    if paths is None:
        return queryset
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{lookup}__startswith": path})
    return queryset.filter(q)


def _community(actor, community_id, *, lock: bool = False) -> Region:
    """The community (or village) `community_id` that `actor` may name. One it may not
    name answers exactly as one that does not exist (a 400 naming the field), so an id
    reveals nothing outside the actor's scope. Locked when `lock`: organizations in one
    community are registered one at a time, so two of the same name cannot both pass."""
    rows = _within(
        Region.objects.filter(level=Region.Level.COMMUNITY), "path", registry_paths(actor)
    )
    if lock:
        rows = rows.select_for_update()
    community = rows.filter(pk=community_id).first() if _is_id(community_id) else None
    if community is None:
        raise _no_such("community", _("No community or village with this id."))
    return community


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


def _set_categories(
    organization: Organization, categories: list[str], reason: str, *, new: bool = False
) -> None:
    rows = [] if new else OrganizationCategory.objects.filter(organization=organization)
    existing = {c.category: c for c in rows}
    for value, row in existing.items():
        if value not in categories:
            set_reason(row, reason).delete()
    for value in categories:
        if value not in existing:
            row = OrganizationCategory(organization=organization, category=value)
            set_reason(row, reason).save()


def _require_name_free(community: Region, name: str, *, exclude: int | None = None) -> None:
    """One organization of a name per community (the register import's rule too)."""
    taken = Organization.objects.filter(community=community, name=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        message = _("An organization of this name is already registered there.")
        raise InvalidInput(message, code="name_taken", fields={"name": [message]})


# ---------------------------------------------------------------------------------------
# Organizations
# ---------------------------------------------------------------------------------------


def organization_register(
    *,
    actor,
    name: str,
    community_id: int,
    legal_status: str,
    categories: Iterable[str],
    representative_name: str,
    founded_on: datetime.date,
    credit_code: str = "",
    representative_phone: str = "",
    representative_id_number: str = "",
    party_form: str = Organization.PartyForm.NONE,
    party_established_on: datetime.date | None = None,
    party_ended_on: datetime.date | None = None,
    is_brand: bool = False,
    brand_year: int | None = None,
    state: str = Organization.State.ACTIVE,
    reason: str = "",
) -> Organization:
    """Register an organization with its categories. Registered by a federation's staff, it
    joins that federation today (`_join_registering_federation`)."""
    require_role(actor, Role.FEDERATION_STAFF)
    categories = clean_categories(categories)
    with transaction.atomic():
        community = _community(actor, community_id, lock=True)
        require_registry_manager(actor, community)
        _require_name_free(community, name)
        organization = Organization(
            name=name,
            community=community,
            legal_status=legal_status,
            credit_code=credit_code,
            representative_name=representative_name,
            representative_phone=representative_phone,
            representative_id_number=representative_id_number,
            founded_on=founded_on,
            party_form=party_form,
            party_established_on=party_established_on,
            party_ended_on=party_ended_on,
            is_brand=is_brand,
            brand_year=brand_year,
            state=state,
        )
        # The community was just read under the lock: no second query for the foreign key.
        validate(organization, exclude={"community"})
        set_reason(organization, reason or _("registered")).save()
        _set_categories(organization, categories, reason or _("categories set"), new=True)
        _join_registering_federation(actor=actor, organization=organization, reason=reason)
    return organization


def _join_registering_federation(*, actor, organization: Organization, reason: str) -> None:
    """An organization that a federation's staff registers joins that federation today (the
    federation serves and supervises its township's organizations). Administrators' and
    commands' registrations join nothing by themselves, nor does a dissolved organization."""
    if sees_everything(actor) or organization.state == Organization.State.DISSOLVED:
        return
    community_path = organization.community.path
    for a in active_assignments(actor):
        if (
            a.role == Role.FEDERATION_STAFF
            and a.federation_id
            and community_path.startswith(a.federation.township.path)
        ):
            federation = Federation.objects.select_for_update().get(pk=a.federation_id)
            if not federation.is_active:
                continue
            _membership_create(
                federation=federation,
                organization=organization,
                joined_on=max(timezone.localdate(), organization.founded_on or datetime.date.min),
                left_on=None,
                reason=reason or _("registered by the federation"),
            )
            return


def organization_update(
    *,
    actor,
    organization_id: int,
    name: str = UNSET,
    community_id: int = UNSET,
    legal_status: str = UNSET,
    categories: Iterable[str] = UNSET,
    credit_code: str = UNSET,
    representative_name: str = UNSET,
    representative_phone: str = UNSET,
    representative_id_number: str = UNSET,
    founded_on: datetime.date = UNSET,
    party_form: str = UNSET,
    party_established_on: datetime.date | None = UNSET,
    party_ended_on: datetime.date | None = UNSET,
    is_brand: bool = UNSET,
    brand_year: int | None = UNSET,
    reason: str = "",
) -> Organization:
    """Change the fields given (and the categories, when given); the state changes through
    `organization_change_state`."""
    require_role(actor, Role.FEDERATION_STAFF)
    changes = given(
        name=name,
        legal_status=legal_status,
        credit_code=credit_code,
        representative_name=representative_name,
        representative_phone=representative_phone,
        representative_id_number=representative_id_number,
        founded_on=founded_on,
        party_form=party_form,
        party_established_on=party_established_on,
        party_ended_on=party_ended_on,
        is_brand=is_brand,
        brand_year=brand_year,
    )
    if categories is not UNSET:
        categories = clean_categories(categories)
    with transaction.atomic():
        organization = locked(
            organizations_visible_to(actor), organization_id, related=("community",)
        )
        require_registry_manager(actor, organization.community)
        moved = community_id is not UNSET and community_id != organization.community_id
        if moved:
            organization.community = _community(actor, community_id, lock=True)
            require_registry_manager(actor, organization.community)
        if moved or ("name" in changes and changes["name"] != organization.name):
            _require_name_free(
                organization.community,
                changes.get("name", organization.name),
                exclude=organization.pk,
            )
        for field, value in changes.items():
            setattr(organization, field, value)
        validate(organization)
        set_reason(organization, reason or _("updated")).save()
        if categories is not UNSET:
            _set_categories(organization, categories, reason or _("categories set"))
    return organization


def organization_change_state(
    *, actor, organization_id: int, state: str, reason: str
) -> Organization:
    """Suspend, reactivate or dissolve an organization. Dissolving also ends its memberships."""
    require_role(actor, Role.FEDERATION_STAFF)
    if state not in Organization.State.values:
        raise InvalidInput(fields={"state": [_("Unknown state.")]})
    if not reason:
        raise InvalidInput(
            _("Give a reason."), fields={"reason": [_("A state change needs a reason.")]}
        )
    with transaction.atomic():
        organization = locked(
            organizations_visible_to(actor), organization_id, related=("community",)
        )
        require_registry_manager(actor, organization.community)
        if organization.state == Organization.State.DISSOLVED and state != organization.state:
            raise Conflict(_("A dissolved organization stays dissolved."), code="dissolved")
        organization.state = state
        set_reason(organization, reason).save()
        if state == Organization.State.DISSOLVED:
            today = timezone.localdate()
            open_memberships = Membership.objects.select_for_update().filter(
                organization=organization, left_on__isnull=True
            )
            for membership in open_memberships:
                membership.left_on = max(today, membership.joined_on)
                set_reason(membership, reason).save()
    return organization


# ---------------------------------------------------------------------------------------
# Federations (administrators)
# ---------------------------------------------------------------------------------------


def _require_credit_code(federation: Federation) -> None:
    if not federation.credit_code:
        raise InvalidInput(
            _("A federation is a registered legal person: give its credit code."),
            fields={"credit_code": [_("Required: a federation is a registered legal person.")]},
        )


def _township(township_id) -> Region:
    """The township `township_id`, locked: one active federation per township is checked
    and written one registration at a time."""
    township = (
        Region.objects.select_for_update()
        .filter(level=Region.Level.TOWNSHIP, pk=township_id)
        .first()
        if _is_id(township_id)
        else None
    )
    if township is None:
        raise _no_such("township", _("No township or street with this id."))
    return township


def federation_register(
    *,
    actor,
    name: str,
    township_id: int,
    credit_code: str,
    head_name: str = "",
    kind: str = Federation.Kind.FEDERATION,
    registered_on: datetime.date | None = None,
    head_is_township_official: bool = False,
    head_approval_reference: str = "",
    is_active: bool = True,
    reason: str = "",
) -> Federation:
    """Register a township's federation (administrators)."""
    require_role(actor, Role.ADMINISTRATOR)
    with transaction.atomic():
        federation = Federation(
            name=name,
            township=_township(township_id),
            credit_code=credit_code,
            head_name=head_name,
            kind=kind,
            registered_on=registered_on,
            head_is_township_official=head_is_township_official,
            head_approval_reference=head_approval_reference,
            is_active=is_active,
        )
        _require_credit_code(federation)
        validate(federation)
        set_reason(federation, reason or _("registered")).save()
    return federation


def federation_update(
    *,
    actor,
    federation_id: int,
    name: str = UNSET,
    township_id: int = UNSET,
    credit_code: str = UNSET,
    head_name: str = UNSET,
    kind: str = UNSET,
    registered_on: datetime.date | None = UNSET,
    head_is_township_official: bool = UNSET,
    head_approval_reference: str = UNSET,
    is_active: bool = UNSET,
    reason: str = "",
) -> Federation:
    """Change the fields given (administrators)."""
    require_role(actor, Role.ADMINISTRATOR)
    changes = given(
        name=name,
        credit_code=credit_code,
        head_name=head_name,
        kind=kind,
        registered_on=registered_on,
        head_is_township_official=head_is_township_official,
        head_approval_reference=head_approval_reference,
        is_active=is_active,
    )
    with transaction.atomic():
        federation = locked(federations_visible_to(actor), federation_id, related=("township",))
        if township_id is not UNSET and township_id != federation.township_id:
            federation.township = _township(township_id)
        for field, value in changes.items():
            setattr(federation, field, value)
        _require_credit_code(federation)
        validate(federation)
        set_reason(federation, reason or _("updated")).save()
    return federation


# ---------------------------------------------------------------------------------------
# Staff (administrators, or the federation's own staff)
# ---------------------------------------------------------------------------------------


def _federation_for(actor, federation_id) -> Federation:
    """A federation the actor names (to add staff or members to). One out of its scope
    answers exactly as one that does not exist: a 400 naming the field. Locked: its state
    is read for the rules."""
    try:
        return locked(federations_visible_to(actor), federation_id, related=("township",))
    except NotFound:
        raise _no_such("federation", _("No federation with this id.")) from None


def staff_add(
    *,
    actor,
    federation_id: int,
    name: str,
    started_on: datetime.date,
    phone: str = "",
    user_id: int | None = None,
    is_social_worker: bool = False,
    is_full_time: bool = False,
    ended_on: datetime.date | None = None,
    reason: str = "",
) -> FederationStaff:
    """Someone starts working for a federation."""
    require_role(actor, Role.FEDERATION_STAFF)
    with transaction.atomic():
        federation = _federation_for(actor, federation_id)
        require_federation_staff(actor, federation)
        staff = FederationStaff(
            federation=federation,
            name=name,
            phone=phone,
            user_id=user_id,
            is_social_worker=is_social_worker,
            is_full_time=is_full_time,
            started_on=started_on,
            ended_on=ended_on,
        )
        validate(staff)
        set_reason(staff, reason or _("staff added")).save()
    return staff


def staff_update(
    *,
    actor,
    staff_id: int,
    federation_id: int = UNSET,
    name: str = UNSET,
    phone: str = UNSET,
    user_id: int | None = UNSET,
    is_social_worker: bool = UNSET,
    is_full_time: bool = UNSET,
    started_on: datetime.date = UNSET,
    ended_on: datetime.date | None = UNSET,
    reason: str = "",
) -> FederationStaff:
    """Correct a staff member's record (the fields given)."""
    require_role(actor, Role.FEDERATION_STAFF)
    changes = given(
        name=name,
        phone=phone,
        user_id=user_id,
        is_social_worker=is_social_worker,
        is_full_time=is_full_time,
        started_on=started_on,
        ended_on=ended_on,
    )
    with transaction.atomic():
        staff = locked(staff_visible_to(actor), staff_id, related=("federation",))
        require_federation_staff(actor, staff.federation)
        if federation_id is not UNSET and federation_id != staff.federation_id:
            staff.federation = _federation_for(actor, federation_id)
            require_federation_staff(actor, staff.federation)
        for field, value in changes.items():
            setattr(staff, field, value)
        validate(staff)
        set_reason(staff, reason or _("updated")).save()
    return staff


def staff_end(*, actor, staff_id: int, ended_on: datetime.date, reason: str) -> FederationStaff:
    """Someone stops working for the federation on `ended_on`."""
    require_role(actor, Role.FEDERATION_STAFF)
    with transaction.atomic():
        staff = locked(staff_visible_to(actor), staff_id, related=("federation",))
        require_federation_staff(actor, staff.federation)
        if staff.ended_on is not None:
            raise Conflict(_("This person's work has already ended."), code="already_ended")
        staff.ended_on = ended_on
        validate(staff)
        set_reason(staff, reason or _("staff left")).save()
    return staff


# ---------------------------------------------------------------------------------------
# Memberships (administrators, or the federation's staff)
# ---------------------------------------------------------------------------------------


def _organization_for(actor, organization_id) -> Organization:
    """An organization the actor names to join a federation: one in a township it manages
    (administrators: any). One out of its scope answers exactly as one that does not exist.
    Locked: dissolving it (which ends its memberships) and joining wait for each other."""
    rows = _within(Organization.objects.all(), "community__path", registry_paths(actor))
    found = _is_id(organization_id) and rows.filter(pk=organization_id).exists()
    if not found:
        raise _no_such("organization", _("No organization with this id."))
    return (
        Organization.objects.select_for_update(of=("self",))
        .select_related("community")
        .get(pk=organization_id)
    )


def _membership_create(
    *,
    federation: Federation,
    organization: Organization,
    joined_on: datetime.date,
    left_on: datetime.date | None,
    reason: str,
) -> Membership:
    """Both rows locked by the caller."""
    if not federation.is_active:
        raise Conflict(_("The federation is no longer active."), code="federation_inactive")
    if organization.state == Organization.State.DISSOLVED:
        raise Conflict(_("The organization is dissolved."), code="organization_dissolved")
    membership = Membership(
        federation=federation, organization=organization, joined_on=joined_on, left_on=left_on
    )
    validate(membership)
    set_reason(membership, reason).save()
    return membership


def membership_add(
    *,
    actor,
    federation_id: int,
    organization_id: int,
    joined_on: datetime.date,
    left_on: datetime.date | None = None,
    reason: str = "",
) -> Membership:
    """An organization joins a federation (administrators or the federation's staff)."""
    require_role(actor, Role.FEDERATION_STAFF)
    with transaction.atomic():
        federation = _federation_for(actor, federation_id)
        require_federation_staff(actor, federation)
        organization = _organization_for(actor, organization_id)
        return _membership_create(
            federation=federation,
            organization=organization,
            joined_on=joined_on,
            left_on=left_on,
            reason=reason or _("joined"),
        )


def membership_update(
    *,
    actor,
    membership_id: int,
    federation_id: int = UNSET,
    organization_id: int = UNSET,
    joined_on: datetime.date = UNSET,
    left_on: datetime.date | None = UNSET,
    reason: str = "",
) -> Membership:
    """Correct a membership's record (the fields given)."""
    require_role(actor, Role.FEDERATION_STAFF)
    changes = given(joined_on=joined_on, left_on=left_on)
    with transaction.atomic():
        membership = locked(
            memberships_visible_to(actor),
            membership_id,
            related=("federation__township", "organization__community"),
        )
        require_federation_staff(actor, membership.federation)
        if federation_id is not UNSET and federation_id != membership.federation_id:
            membership.federation = _federation_for(actor, federation_id)
            require_federation_staff(actor, membership.federation)
        if organization_id is not UNSET and organization_id != membership.organization_id:
            membership.organization = _organization_for(actor, organization_id)
        for field, value in changes.items():
            setattr(membership, field, value)
        validate(membership)
        set_reason(membership, reason or _("updated")).save()
    return membership


def membership_end(*, actor, membership_id: int, left_on: datetime.date, reason: str) -> Membership:
    """An organization leaves its federation on `left_on` (no longer a member that day)."""
    require_role(actor, Role.FEDERATION_STAFF)
    with transaction.atomic():
        membership = locked(
            memberships_visible_to(actor),
            membership_id,
            related=("federation__township", "organization__community"),
        )
        require_federation_staff(actor, membership.federation)
        if membership.left_on is not None:
            raise Conflict(_("The organization has already left."), code="already_left")
        membership.left_on = left_on
        validate(membership)
        set_reason(membership, reason or _("left")).save()
    return membership
