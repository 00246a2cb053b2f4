"""Load the demo regions, organizations and federations (idempotent)."""

from audit.base import set_reason

from . import demo_data
from .models import Federation, Organization, Region


def _region(code, name, level, parent=None, area_type=""):
    region = Region.objects.filter(code=code).first()
    if region is None:
        region = Region(code=code, name=name, level=level, parent=parent, area_type=area_type)
        set_reason(region, "demo data")
        region.full_clean()
        region.save()
    return region


def load() -> dict:
    city = _region(*demo_data.CITY, Region.Level.CITY)
    first_township = first_community = None
    for county_code, county_name, townships in demo_data.COUNTIES:
        county = _region(county_code, county_name, Region.Level.COUNTY, city)
        for suffix, name, is_street in townships:
            code = f"{county_code}{suffix}"
            township = _region(code, name, Region.Level.TOWNSHIP, county)
            first_township = first_township or township
            for i, (cname, area) in enumerate(demo_data.communities_for(name, is_street), 1):
                community = _region(f"{code}{i:03d}", cname, Region.Level.COMMUNITY, township, area)
                first_community = first_community or community
    federation = Federation.objects.filter(township=first_township).first()
    if federation is None:
        federation = Federation(
            name=f"{first_township.name}社区社会组织联合会", township=first_township
        )
        set_reason(federation, "demo data").save()
    organization = Organization.objects.filter(community=first_community).first()
    if organization is None:
        organization = Organization(
            name=f"{first_community.name}夕阳红志愿服务队", community=first_community
        )
        set_reason(organization, "demo data").save()
    return {
        "city": city,
        "county": Region.objects.get(code=demo_data.COUNTIES[0][0]),
        "township": first_township,
        "federation": federation,
        "organization": organization,
    }
