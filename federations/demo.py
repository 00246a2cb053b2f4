"""Load the demo regions, organizations, federations, staff and memberships (idempotent).

The figures are chosen so the policy-target report shows a mix: some townships meet the
averages (≥ 10 per urban community, ≥ 5 per rural one) and some do not, some villages have
no organization, some communities no brand, some townships no federation, and some
federations no social worker or three of them.
"""

import datetime

from core.audited import set_reason

from . import demo_data
from .codes import ID_CHECK, ID_WEIGHTS, make_credit_code
from .models import (
    Federation,
    FederationStaff,
    Membership,
    Organization,
    OrganizationCategory,
    Region,
)

REASON = "演示数据"
JOINED = datetime.date(2021, 1, 1)


def _region(code, name, level, parent=None, area_type=""):
    region = Region.objects.filter(code=code).first()
    if region is None:
        region = Region(code=code, name=name, level=level, parent=parent, area_type=area_type)
        set_reason(region, REASON)
        region.full_clean()
        region.save()
    return region


def _id_number(county_code: str, serial: int) -> str:
    birth = f"19{60 + serial % 35:02d}{1 + serial % 12:02d}{1 + serial % 28:02d}"
    body = f"{county_code}{birth}{serial % 1000:03d}"
    total = sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True))
    return body + ID_CHECK[total % 11]


def _organizations_for(community, *, strong: bool, index: int):
    """(name, categories) of the demo organizations of one community."""
    if community.area_type == Region.AreaType.URBAN:
        pool = demo_data.URBAN_ORGANIZATIONS
        counts = (11, 10, 10) if strong else (8, 6, 5)
    else:
        pool = demo_data.RURAL_ORGANIZATIONS
        counts = (6, 5, 5) if strong else (4, 2, 0)
    return pool[: counts[index % 3]]


def _save(obj):
    set_reason(obj, REASON).save()
    return obj


def load() -> dict:
    city = _region(*demo_data.CITY, Region.Level.CITY)
    first_township = first_community = None
    townships = []
    for county_code, county_name, township_rows in demo_data.COUNTIES:
        county = _region(county_code, county_name, Region.Level.COUNTY, city)
        for suffix, name, is_street in township_rows:
            code = f"{county_code}{suffix}"
            township = _region(code, name, Region.Level.TOWNSHIP, county)
            first_township = first_township or township
            communities = []
            for i, (cname, area) in enumerate(demo_data.communities_for(name, is_street), 1):
                community = _region(f"{code}{i:03d}", cname, Region.Level.COMMUNITY, township, area)
                first_community = first_community or community
                communities.append(community)
            townships.append((county_code, township, communities))

    federations = _load_federations(townships)
    _load_organizations(townships, federations)
    federation = Federation.objects.filter(township=first_township, is_active=True).first()
    organization = Organization.objects.filter(
        community=first_community, name=f"{first_community.name}夕阳红志愿服务队"
    ).first()
    return {
        "city": city,
        "county": Region.objects.get(code=demo_data.COUNTIES[0][0]),
        "township": first_township,
        "federation": federation,
        "organization": organization,
    }


def _load_federations(townships) -> dict:
    """An active federation for every township but every seventh; staff with 0–3 social
    workers. Returns {township id: federation}."""
    existing = {f.township_id: f for f in Federation.objects.filter(is_active=True)}
    staff_names = set(FederationStaff.objects.values_list("federation_id", "name"))
    federations = {}
    for t, (county_code, township, _communities) in enumerate(townships):
        if t % 7 == 6:
            continue  # no federation yet: the report shows the gap
        fed = existing.get(township.pk)
        if fed is None or not fed.credit_code:
            kind = Federation.Kind.SERVICE_CENTRE if t % 3 == 2 else Federation.Kind.FEDERATION
            fed = fed or Federation(township=township)
            fed.name = fed.name or (
                f"{township.name}社区社会组织"
                + ("服务中心" if kind == Federation.Kind.SERVICE_CENTRE else "联合会")
            )
            fed.kind = kind
            fed.credit_code = make_credit_code("51", county_code, 500000 + t)
            fed.registered_on = datetime.date(2020, 6, 1) + datetime.timedelta(days=7 * t)
            fed.head_name = demo_data.person(t + 100)
            if t % 4 == 0:
                fed.head_is_township_official = True
                fed.head_approval_reference = f"{township.name[:2]}党〔2020〕{t + 1}号"
            fed.full_clean()
            _save(fed)
        federations[township.pk] = fed
        social_workers = (1, 2, 1, 0, 2, 3)[t % 6]
        people = [(demo_data.person(t * 7 + k), True) for k in range(social_workers)]
        people.append((demo_data.person(t * 7 + 5), False))
        for k, (name, is_social_worker) in enumerate(people):
            if (fed.pk, name) in staff_names:
                continue
            _save(
                FederationStaff(
                    federation=fed,
                    name=name,
                    phone=f"1390546{t:02d}{k:02d}",
                    is_social_worker=is_social_worker,
                    is_full_time=k == 0,
                    started_on=datetime.date(2021, 3, 1),
                )
            )
    return federations


def _load_organizations(townships, federations):
    existing = {
        (o.community_id, o.name): o for o in Organization.objects.select_related("community")
    }
    with_categories = set(OrganizationCategory.objects.values_list("organization_id", flat=True))
    members = set(Membership.objects.values_list("federation_id", "organization_id"))
    serial = 0
    for t, (county_code, township, communities) in enumerate(townships):
        strong = t % 3 != 1
        fed = federations.get(township.pk)
        for i, community in enumerate(communities):
            rows = _organizations_for(community, strong=strong, index=i)
            for k, (suffix, categories) in enumerate(rows):
                serial += 1
                name = f"{community.name}{suffix}"
                org = existing.get((community.pk, name))
                if org is None or org.founded_on is None:
                    org = org or Organization(community=community, name=name)
                    _fill(org, county_code, serial, k, brand=(k == 0 and (strong or i != 2)))
                    org.full_clean(validate_constraints=False)  # the database checks them
                    _save(org)
                if org.pk not in with_categories:
                    for category in categories:
                        _save(OrganizationCategory(organization=org, category=category))
                if fed is not None and (fed.pk, org.pk) not in members:
                    _save(
                        Membership(
                            federation=fed,
                            organization=org,
                            joined_on=max(JOINED, org.founded_on),
                        )
                    )


def _fill(org, county_code, serial, k, *, brand):
    """Deterministic demo attributes. The first organization of each community is filed
    (custody-eligible) with its own party branch (may undertake transferred functions)."""
    if k % 4 == 3:
        org.legal_status = Organization.LegalStatus.SOCIAL_GROUP
        org.credit_code = make_credit_code("51", county_code, serial)
    elif k % 7 == 5:
        org.legal_status = Organization.LegalStatus.PRIVATE_NON_ENTERPRISE
        org.credit_code = make_credit_code("52", county_code, serial)
    else:
        org.legal_status = Organization.LegalStatus.FILED
    org.representative_name = demo_data.person(serial)
    org.representative_phone = f"1380546{serial:04d}"
    org.representative_id_number = _id_number(county_code, serial)
    org.founded_on = datetime.date(2016 + serial % 6, 1 + serial % 12, 1 + serial % 28)
    form = (
        Organization.PartyForm.OWN_BRANCH,
        Organization.PartyForm.JOINT_BRANCH,
        Organization.PartyForm.INSTRUCTOR,
        Organization.PartyForm.NONE,
        Organization.PartyForm.NONE,
    )[k % 5]
    org.party_form = form
    if form != Organization.PartyForm.NONE:
        org.party_established_on = max(org.founded_on, datetime.date(2021, 7, 1))
    org.is_brand = brand
    org.brand_year = 2022 + serial % 4 if brand else None
    org.state = Organization.State.SUSPENDED if serial % 97 == 0 else Organization.State.ACTIVE
