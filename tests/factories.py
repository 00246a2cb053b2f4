"""Test data builders, one place for the whole suite."""

import datetime

from access.models import RoleAssignment, User
from core.audited import set_reason
from federations.codes import make_credit_code
from federations.models import Federation, Membership, Organization, Region


def make_region(code, name, level, parent=None, area_type=""):
    region = Region(code=code, name=name, level=level, parent=parent, area_type=area_type)
    region.full_clean()
    set_reason(region, "test").save()
    return region


def make_region_tree() -> dict:
    """city → county → towns a and b → two communities in a, one in b."""
    city = make_region("370500", "东营市", "city")
    county = make_region("370502", "东营区", "county", city)
    other_county = make_region("370503", "河口区", "county", city)
    town_a = make_region("370502001", "文汇街道", "township", county)
    town_b = make_region("370502100", "牛庄镇", "township", county)
    comm_a1 = make_region("370502001001", "府前社区", "community", town_a, "urban")
    comm_a2 = make_region("370502001002", "金湖社区", "community", town_a, "urban")
    comm_b1 = make_region("370502100001", "王家村", "community", town_b, "rural")
    federation_a = Federation(
        name="文汇街道社区社会组织联合会",
        township=town_a,
        credit_code=make_credit_code("51", "370502", 1),
    )
    federation_a.save()
    federation_b = Federation(
        name="牛庄镇社区社会组织服务中心",
        township=town_b,
        kind="service_centre",
        credit_code=make_credit_code("51", "370502", 2),
    )
    federation_b.save()
    org_a = Organization(name="府前社区志愿服务队", community=comm_a1)
    org_a.save()
    org_b = Organization(name="王家村舞蹈队", community=comm_b1)
    org_b.save()
    # Each organization (filed, without legal personality) is a member of its township's
    # federation: federation staff see their members.
    joined = datetime.date(2024, 1, 1)
    Membership(federation=federation_a, organization=org_a, joined_on=joined).save()
    Membership(federation=federation_b, organization=org_b, joined_on=joined).save()
    return {
        "city": city,
        "county": county,
        "other_county": other_county,
        "town_a": town_a,
        "town_b": town_b,
        "comm_a1": comm_a1,
        "comm_a2": comm_a2,
        "comm_b1": comm_b1,
        "federation_a": federation_a,
        "federation_b": federation_b,
        "org_a": org_a,
        "org_b": org_b,
    }


def make_user(username, role=None, *, password="pw-test-123", **scope) -> User:
    is_admin = role == "administrator"
    user = User(username=username, first_name=username, is_staff=is_admin, is_superuser=is_admin)
    user.set_password(password)
    user.save()
    if role:
        assignment = RoleAssignment(user=user, role=role, **scope)
        assignment.full_clean()
        assignment.save()
    return user
