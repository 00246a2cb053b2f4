"""Eligibility rules other apps ask before they commit money (policy 四(二)–(三)).

Each rule has two forms:

- `..._eligibility(...) -> Eligibility`: never raises; `ok` and every reason it refuses.
- `check_...(...)`: returns None or raises `NotEligible` carrying the same reasons.

    from federations.eligibility import check_custody_eligibility
    check_custody_eligibility(federation=f, organization=o, on=date.today())
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict

from .models import Federation, Membership, Organization


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    @property
    def messages(self) -> list[str]:
        return [r.message for r in self.reasons]

    @classmethod
    def of(cls, reasons: list[Reason]) -> Eligibility:
        return cls(ok=not reasons, reasons=tuple(reasons))


class NotEligible(Conflict):
    """A rule of eligibility refuses; `reasons` holds every reason, also in `fields`."""

    code = "not_eligible"

    def __init__(self, eligibility: Eligibility, *, detail=None):
        self.reasons = eligibility.reasons
        super().__init__(
            detail or "；".join(eligibility.messages),
            fields={"reasons": eligibility.messages, "reason_codes": eligibility.codes},
        )


def _today() -> datetime.date:
    return timezone.localdate()


def custody_eligibility(
    *, federation: Federation, organization: Organization, on: datetime.date | None = None
) -> Eligibility:
    """May `federation` hold money in custody for `organization` on date `on`?

    Only an active, registered federation, for an active organization without legal
    personality that is its member on that day (policy 四(三): 为不具备法人资格的社区社会组织
    提供资金代管服务).
    """
    on = on or _today()
    reasons = []
    if not federation.is_active:
        reasons.append(Reason("federation_inactive", _("The federation is no longer active.")))
    if not federation.credit_code:
        reasons.append(
            Reason(
                "federation_not_registered",
                _("The federation is not registered as a legal person (no credit code)."),
            )
        )
    if organization.has_legal_personality:
        reasons.append(
            Reason(
                "organization_has_legal_personality",
                _(
                    "The organization is a registered legal person (%(status)s) and keeps "
                    "its own accounts; custody is only for organizations without legal "
                    "personality."
                )
                % {"status": organization.get_legal_status_display()},
            )
        )
    if organization.state != Organization.State.ACTIVE:
        reasons.append(
            Reason(
                "organization_not_active",
                _("The organization is %(state)s.") % {"state": organization.get_state_display()},
            )
        )
    is_member = Membership.objects.filter(
        Membership.active_q(on), federation=federation, organization=organization
    ).exists()
    if not is_member:
        reasons.append(
            Reason(
                "not_a_member",
                _("The organization is not a member of %(federation)s on %(date)s.")
                % {"federation": federation.name, "date": on.isoformat()},
            )
        )
    return Eligibility.of(reasons)


def check_custody_eligibility(
    *, federation: Federation, organization: Organization, on: datetime.date | None = None
) -> None:
    result = custody_eligibility(federation=federation, organization=organization, on=on)
    if not result:
        raise NotEligible(result)


def transferred_function_eligibility(
    *, organization: Organization, on: datetime.date | None = None
) -> Eligibility:
    """May `organization` undertake government-transferred functions (政府转移职能) on `on`?

    Only an active organization whose party organization (its own or a joint party branch)
    is in place that day (policy 四(二): 支持党组织健全的社区社会组织有序承接政府转移职能).
    A party-building instructor alone is guidance, not a party organization.
    """
    on = on or _today()
    reasons = []
    if organization.state != Organization.State.ACTIVE:
        reasons.append(
            Reason(
                "organization_not_active",
                _("The organization is %(state)s.") % {"state": organization.get_state_display()},
            )
        )
    form = organization.party_form
    if form == Organization.PartyForm.NONE:
        reasons.append(
            Reason("no_party_organization", _("The organization has no party organization."))
        )
    elif form == Organization.PartyForm.INSTRUCTOR:
        reasons.append(
            Reason(
                "party_instructor_only",
                _(
                    "The organization has only a party-building instructor, not a party "
                    "organization (own or joint branch)."
                ),
            )
        )
    elif organization.party_established_on and organization.party_established_on > on:
        reasons.append(
            Reason(
                "party_organization_not_yet_established",
                _("Its party organization is established only on %(date)s.")
                % {"date": organization.party_established_on.isoformat()},
            )
        )
    elif organization.party_ended_on and organization.party_ended_on < on:
        reasons.append(
            Reason(
                "party_organization_ended",
                _("Its party organization ended on %(date)s.")
                % {"date": organization.party_ended_on.isoformat()},
            )
        )
    return Eligibility.of(reasons)


def check_transferred_function_eligibility(
    *, organization: Organization, on: datetime.date | None = None
) -> None:
    result = transferred_function_eligibility(organization=organization, on=on)
    if not result:
        raise NotEligible(result)


def custody_organizations(*, federation: Federation, on: datetime.date | None = None):
    """The organizations `federation` may hold custody for on `on` (a queryset)."""
    on = on or _today()
    if not federation.is_active or not federation.credit_code:
        return Organization.objects.none()
    member_ids = Membership.objects.filter(Membership.active_q(on), federation=federation).values(
        "organization_id"
    )
    return Organization.objects.filter(
        pk__in=member_ids,
        legal_status=Organization.LegalStatus.FILED,
        state=Organization.State.ACTIVE,
    )
