"""Matching needs to offers (供需对接): suggestions for a need, ranked, each with its reasons.

Score (higher first), every part stated in `reasons`:

- the same category: required (an offer of another category is not suggested);
- closeness in the region tree: the offer's area is the need's community (+30), its
  township (+20), its county (+10); an offer elsewhere is not suggested;
- the undertaker's eligibility: a registered organization undertakes itself (+10); one
  without legal personality only through a federation it is a member of (+5; with none it
  is not suggested); a suspended or dissolved organization is not suggested;
- capacity for the need's beneficiaries (+5);
- past evaluation scores: the latest score / 5 (at most +20), shown with the scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from federations.models import Membership, Organization

from .models import Demand, Offer, OfferState
from .selectors import latest_scores, offers_visible_to


@dataclass
class Suggestion:
    offer: Offer
    score: Decimal
    reasons: list[str] = field(default_factory=list)
    latest_scores: list[dict] = field(default_factory=list)


def _ancestors(path: str) -> list[str]:
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes) + 1)]


def suggestions(demand: Demand, *, user, limit: int = 20) -> list[Suggestion]:
    """Offers for `demand` the user may see, best first (a fixed number of queries)."""
    paths = _ancestors(demand.community.path)  # city, county, township, community
    closeness = {paths[-1]: 30}
    if len(paths) >= 2:
        closeness[paths[-2]] = 20
    if len(paths) >= 3:
        closeness[paths[-3]] = 10
    offers = list(
        offers_visible_to(user)
        .filter(category=demand.category, state=OfferState.ACTIVE, area__path__in=list(closeness))
        .select_related("organization", "area")
        .order_by("id")[:500]
    )
    org_ids = {o.organization_id for o in offers}
    members = set(
        Membership.objects.filter(
            Membership.active_q(timezone.localdate()), organization_id__in=org_ids
        ).values_list("organization_id", flat=True)
    )
    scores = latest_scores(org_ids)
    found = []
    for offer in offers:
        organization = offer.organization
        if organization.state != Organization.State.ACTIVE:
            continue
        points = Decimal(closeness[offer.area.path])
        reasons = [_("Same category: %(c)s.") % {"c": offer.get_category_display()}]
        reasons.append(
            _("Serves %(area)s (+%(n)s for closeness).") % {"area": offer.area.name, "n": points}
        )
        if organization.has_legal_personality:
            points += 10
            reasons.append(_("A registered organization: undertakes itself (+10)."))
        elif organization.pk in members:
            points += 5
            reasons.append(
                _("Without legal personality: its federation undertakes in custody (+5).")
            )
        else:
            continue
        if demand.beneficiary_count and offer.capacity >= demand.beneficiary_count:
            points += 5
            reasons.append(
                _("Capacity %(cap)s covers %(n)s beneficiaries (+5).")
                % {"cap": offer.capacity, "n": demand.beneficiary_count}
            )
        past = scores.get(organization.pk, [])
        if past:
            bonus = min(Decimal(past[0]["score"]) / 5, Decimal(20)).quantize(Decimal("0.01"))
            points += bonus
            reasons.append(
                _("Latest evaluation scores: %(s)s (+%(b)s).")
                % {"s": "、".join(str(p["score"]) for p in past), "b": bonus}
            )
        else:
            reasons.append(_("No evaluation yet."))
        found.append(Suggestion(offer, points, reasons, past))
    found.sort(key=lambda s: (-s.score, s.offer.pk))
    return found[:limit]
