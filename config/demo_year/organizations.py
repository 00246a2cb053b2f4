"""About a thousand organizations: the demo's register grown by realistic names in every
community, some registered (with credit codes), most filed without legal personality and
members of their township's federation."""

from __future__ import annotations

import datetime

from federations import demo as federations_demo
from federations.models import (
    Federation,
    Membership,
    Organization,
    OrganizationCategory,
    Region,
)

from .common import Year, bulk_save

# (name suffix, categories): more of what communities actually found.
URBAN = [
    ("银龄互助会", ["elderly_companionship", "volunteering"]),
    ("巾帼志愿服务队", ["volunteering", "humanistic_care"]),
    ("亲子阅读会", ["social_mobilisation"]),
    ("太极拳协会", ["fitness"]),
    ("楼院自治小组", ["democratic_consultation", "special_affairs"]),
    ("京剧票友会", ["singing"]),
    ("健步走协会", ["fitness"]),
    ("手工编织社", ["humanistic_care"]),
    ("红色宣讲团", ["social_mobilisation"]),
    ("平安巡逻队", ["special_affairs", "volunteering"]),
    ("垃圾分类督导队", ["special_affairs"]),
    ("家风家教讲堂", ["relationship_mediation"]),
]
RURAL = [
    ("红白理事会", ["village_worthies_council", "special_affairs"]),
    ("老年协会", ["elderly_companionship"]),
    ("留守儿童关爱队", ["humanistic_care", "volunteering"]),
    ("锣鼓队", ["dance"]),
    ("农技服务社", ["production_mutual_aid"]),
    ("道德评议会", ["democratic_consultation"]),
    ("妇女互助组", ["hardship_relief"]),
    ("黄河口大米合作社", ["production_cooperative", "specialty_produce"]),
]
TARGET = 1000  # organizations in the register at scale 1
SERIAL_BASE = 20000  # above the base demo's serials: credit codes never collide


def build(year: Year, progress, places: dict) -> int:
    """Grows the register to about TARGET organizations (at scale 1; idempotent: the plan is
    drawn from the year's seeded random source, and names already there are skipped)."""
    communities = list(
        Region.objects.filter(level=Region.Level.COMMUNITY)
        .select_related("parent__parent")
        .order_by("code")
    )
    existing = set(Organization.objects.values_list("community_id", "name"))
    base = Organization.objects.exclude(name__in=_all_names(communities)).count()
    wanted = year.n(max(0, TARGET - base), 0)
    plan = []
    serial = SERIAL_BASE
    rng = year.rng("organizations")
    while len(plan) < wanted and communities:
        community = communities[len(plan) % len(communities)]
        pool = URBAN if community.area_type == Region.AreaType.URBAN else RURAL
        suffix, categories = pool[rng.randrange(len(pool))]
        name = f"{community.name}{suffix}"
        if any(p[1] == name for p in plan):
            # Each community holds each name once: the next in the pool instead.
            free = [s for s in pool if f"{community.name}{s[0]}" not in {p[1] for p in plan}]
            if not free:
                communities.remove(community)
                continue
            suffix, categories = free[0]
            name = f"{community.name}{suffix}"
        serial += 1
        plan.append((community, name, categories, serial))
    new = [(c, name, cats, s) for c, name, cats, s in plan if (c.pk, name) not in existing]
    if not new:
        progress.update(1)
        return 0
    orgs = []
    for k, (community, name, _cats, s) in enumerate(new):
        org = Organization(community=community, name=name)
        county_code = community.parent.parent.code
        # The base demo's attributes: every fourth a social group, some private
        # non-enterprise units (credit codes), the rest filed, with party forms.
        federations_demo._fill(org, county_code, s, k % 7 + 1, brand=False)
        orgs.append(org)
    orgs = bulk_save(Organization, orgs)
    categories = [
        OrganizationCategory(organization=org, category=category)
        for org, (_c, _n, cats, _s) in zip(orgs, new, strict=True)
        for category in cats
    ]
    bulk_save(OrganizationCategory, categories)
    federations = {f.township_id: f for f in Federation.objects.filter(is_active=True)}
    memberships = []
    for org, (community, _n, _c, s) in zip(orgs, new, strict=True):
        federation = federations.get(community.parent_id)
        if federation is not None and s % 5 != 0:  # four in five join
            joined = max(org.founded_on, datetime.date(2021, 1, 1))
            memberships.append(
                Membership(federation=federation, organization=org, joined_on=joined)
            )
    bulk_save(Membership, memberships)
    progress.update(1)
    return len(orgs)


def _all_names(communities) -> list[str]:
    return [f"{c.name}{s}" for c in communities for s, _ in URBAN + RURAL]
