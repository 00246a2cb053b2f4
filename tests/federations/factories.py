"""Builders for organizations, federations, staff and memberships."""

import datetime
import itertools

from core.audited import set_reason
from federations.codes import make_credit_code
from federations.models import (
    Federation,
    FederationStaff,
    Membership,
    Organization,
    OrganizationCategory,
)

_serial = itertools.count(1000)


def credit_code(prefix="51", region="370502"):
    return make_credit_code(prefix, region, next(_serial))


def make_org(community, name=None, *, categories=("volunteering",), **fields) -> Organization:
    prefix = Organization.CREDIT_CODE_PREFIX.get(fields.get("legal_status"))
    if prefix and "credit_code" not in fields:
        fields["credit_code"] = credit_code(prefix)
    fields.setdefault("representative_name", "张三")
    fields.setdefault("founded_on", datetime.date(2020, 5, 1))
    org = Organization(community=community, name=name or f"组织{next(_serial)}", **fields)
    org.full_clean()
    set_reason(org, "test").save()
    for category in categories:
        OrganizationCategory(organization=org, category=category).save()
    return org


def make_federation(township, name=None, **fields) -> Federation:
    fields.setdefault("credit_code", credit_code("51"))
    fields.setdefault("head_name", "李四")
    fed = Federation(township=township, name=name or f"{township.name}联合会", **fields)
    fed.full_clean()
    set_reason(fed, "test").save()
    return fed


def make_staff(federation, name="王社工", *, social_worker=True, **fields) -> FederationStaff:
    fields.setdefault("started_on", datetime.date(2023, 1, 1))
    staff = FederationStaff(
        federation=federation, name=name, is_social_worker=social_worker, **fields
    )
    staff.full_clean()
    staff.save()
    return staff


def make_membership(federation, organization, joined_on=datetime.date(2024, 1, 1), **fields):
    membership = Membership(
        federation=federation, organization=organization, joined_on=joined_on, **fields
    )
    membership.full_clean()
    membership.save()
    return membership
