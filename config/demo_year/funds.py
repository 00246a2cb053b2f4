"""The year's money: for every county and township the sources and approved budgets the
plain demo makes for its year (made here for another year), and a party-organization
service fund for every township (sources of every kind then exist in every county)."""

from __future__ import annotations

from access.demo import DEMO_PASSWORD
from federations.models import Region
from funds import demo as funds_demo
from funds.models import FiscalYear, FundingSource

from .common import Year


def build(year: Year, progress, places: dict) -> int:
    demo = funds_demo._Demo(places, DEMO_PASSWORD)
    y = year.year
    before = FundingSource.objects.count()
    if not FiscalYear.objects.filter(year=y).exists():
        demo.year(y)
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))
    for n, county in enumerate(counties, 1):
        special = demo.source(y, county, county, "fiscal_special_fund",
                              f"{county.name}{y}年社区社会组织培育专项资金", "3000000.00",
                              f"{county.name[:2]}财〔{y}〕{n}号",
                              requires_party_organization=True)  # fmt: skip
        demo.budget(y, county, county, [("capacity_building", special, "300000.00")])
        for i, town in enumerate(Region.objects.filter(parent=county).order_by("code"), 1):
            welfare = demo.source(y, town, county, "community_welfare_subsidy",
                                  f"{town.name}{y}年社区公益事业补助资金", "300000.00",
                                  f"{town.name[:2]}财〔{y}〕{i}号",
                                  issuer=f"{town.name}财政所")  # fmt: skip
            demo.budget(y, town, county, [
                ("elderly_care", special, "60000.00"),
                ("culture_sports", welfare, "120000.00"),
                ("dispute_mediation", welfare, "60000.00"),
            ])  # fmt: skip
            demo.source(y, town, county, "party_service_fund",
                        f"{town.name}{y}年党组织服务群众专项经费", "80000.00",
                        f"{town.name[:2]}组〔{y}〕{20 + i}号",
                        issuer=f"{town.name}党（工）委")  # fmt: skip
    progress.update(1)
    return FundingSource.objects.count() - before
