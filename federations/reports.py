"""Progress against the policy's targets (东民〔2020〕14号 二(二)), per township, county and city.

Four aggregate queries whatever the region's size: communities grouped by township and
area type, active organizations grouped the same way (with the number of distinct
communities that have one, and one that is a brand), the region tree down to townships
(with whether each has an active federation), and the active federations with their
current social workers. Counties and the city are sums of their townships.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Federation, FederationStaff, Organization, Region

URBAN_TARGET = Decimal(10)  # organizations per urban community, on average
RURAL_TARGET = Decimal(5)  # organizations per rural community, on average
SOCIAL_WORKERS = (1, 2)  # each federation has one or two social workers

REPORT_LEVELS = (Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP)

COUNTS = [
    "urban_communities",
    "urban_organizations",
    "rural_communities",
    "rural_organizations",
    "villages_with_organization",
    "communities",
    "communities_with_brand",
    "townships",
    "townships_with_federation",
    "federations",
    "federations_with_social_workers",
]

# (key, label) of every column of the table and the exports, in order.
COLUMNS = [
    ("code", _("division code")),
    ("name", _("name")),
    ("level", _("level")),
    ("urban_communities", _("urban communities")),
    ("urban_organizations", _("organizations in urban communities")),
    ("urban_average", _("average per urban community (target ≥ 10)")),
    ("urban_average_met", _("urban target met")),
    ("rural_communities", _("rural communities (villages)")),
    ("rural_organizations", _("organizations in rural communities")),
    ("rural_average", _("average per rural community (target ≥ 5)")),
    ("rural_average_met", _("rural target met")),
    ("villages_with_organization", _("villages with at least one organization")),
    ("villages_met", _("every village has one")),
    ("communities", _("communities")),
    ("communities_with_brand", _("communities with a brand organization")),
    ("brand_met", _("every community has a brand")),
    ("townships", _("townships")),
    ("townships_with_federation", _("townships with a federation or service centre")),
    ("federation_met", _("every township has one")),
    ("federations", _("federations")),
    ("federations_with_social_workers", _("federations with one or two social workers")),
    ("social_workers_met", _("every federation has one or two")),
]

MET_KEYS = [
    "urban_average_met",
    "rural_average_met",
    "villages_met",
    "brand_met",
    "federation_met",
    "social_workers_met",
]


def _average(count: int, communities: int) -> Decimal | None:
    if not communities:
        return None
    return (Decimal(count) / Decimal(communities)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _all(part: int, whole: int) -> bool | None:
    return None if whole == 0 else part >= whole


def finish_row(row: dict) -> dict:
    """Add the averages and whether each target is met (None: nothing to measure)."""
    row["urban_average"] = _average(row["urban_organizations"], row["urban_communities"])
    row["rural_average"] = _average(row["rural_organizations"], row["rural_communities"])
    row["urban_average_met"] = (
        None if row["urban_average"] is None else row["urban_average"] >= URBAN_TARGET
    )
    row["rural_average_met"] = (
        None if row["rural_average"] is None else row["rural_average"] >= RURAL_TARGET
    )
    row["villages_met"] = _all(row["villages_with_organization"], row["rural_communities"])
    row["brand_met"] = _all(row["communities_with_brand"], row["communities"])
    row["federation_met"] = _all(row["townships_with_federation"], row["townships"])
    row["social_workers_met"] = _all(row["federations_with_social_workers"], row["federations"])
    row["targets_met"] = sum(1 for k in MET_KEYS if row[k] is True)
    row["targets_measured"] = sum(1 for k in MET_KEYS if row[k] is not None)
    return row


def _community_counts(region: Region) -> dict:
    """{(township id, area type): {communities, organizations, with_org, with_brand}}: two
    GROUP BY queries (communities; active organizations joined to their community)."""
    counts: dict = defaultdict(
        lambda: {"communities": 0, "organizations": 0, "with_org": 0, "with_brand": 0}
    )
    communities = (
        Region.objects.filter(level=Region.Level.COMMUNITY, path__startswith=region.path)
        .order_by()
        .values("parent_id", "area_type")
        .annotate(n=Count("id"))
    )
    for c in communities:
        counts[(c["parent_id"], c["area_type"])]["communities"] = c["n"]
    organizations = (
        Organization.objects.filter(
            state=Organization.State.ACTIVE, community__path__startswith=region.path
        )
        .order_by()
        .values("community__parent_id", "community__area_type")
        .annotate(
            n=Count("id"),
            with_org=Count("community", distinct=True),
            with_brand=Count("community", distinct=True, filter=Q(is_brand=True)),
        )
    )
    for o in organizations:
        row = counts[(o["community__parent_id"], o["community__area_type"])]
        row.update(organizations=o["n"], with_org=o["with_org"], with_brand=o["with_brand"])
    return counts


def target_progress(region: Region, *, on: datetime.date | None = None) -> list[dict]:
    """Rows for `region` (a city, county or township) and every county and township in it,
    in tree order, each with the counts, averages and targets met."""
    on = on or timezone.localdate()
    tree = list(
        Region.objects.filter(level__in=REPORT_LEVELS, path__startswith=region.path)
        .annotate(
            has_federation=Exists(
                Federation.objects.filter(township=OuterRef("pk"), is_active=True)
            )
        )
        .order_by("path")
        .values("id", "code", "name", "level", "path", "parent_id", "has_federation")
    )
    federations = (
        Federation.objects.filter(is_active=True, township__path__startswith=region.path)
        .annotate(
            social_workers=Count(
                "staff",
                filter=FederationStaff.active_q(on, prefix="staff__")
                & Q(staff__is_social_worker=True),
            )
        )
        .order_by()
        .values("township_id", "social_workers")
    )

    per_township: dict[int, dict] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for (township_id, area_type), c in _community_counts(region).items():
        row = per_township[township_id]
        prefix = "urban" if area_type == Region.AreaType.URBAN else "rural"
        row[f"{prefix}_communities"] += c["communities"]
        row[f"{prefix}_organizations"] += c["organizations"]
        if prefix == "rural":
            row["villages_with_organization"] += c["with_org"]
        row["communities"] += c["communities"]
        row["communities_with_brand"] += c["with_brand"]
    low, high = SOCIAL_WORKERS
    for f in federations:
        row = per_township[f["township_id"]]
        row["federations"] += 1
        row["federations_with_social_workers"] += int(low <= f["social_workers"] <= high)

    rows = {}
    for node in tree:
        counts = dict.fromkeys(COUNTS, 0)
        if node["level"] == Region.Level.TOWNSHIP:
            counts.update(per_township.get(node["id"], {}))
            counts["townships"] = 1
            counts["townships_with_federation"] = int(node["has_federation"])
        rows[node["path"]] = {
            "id": node["id"],
            "code": node["code"],
            "name": node["name"],
            "level": node["level"],
            "parent_id": node["parent_id"],
            **counts,
        }
    # Roll townships up into their county and the city (a handful of rows, no queries).
    for node in tree:
        if node["level"] != Region.Level.TOWNSHIP:
            continue
        township = rows[node["path"]]
        for path, row in rows.items():
            if row is not township and node["path"].startswith(path):
                for key in COUNTS:
                    row[key] += township[key]
    return [finish_row(row) for row in rows.values()]


def _cell(row: dict, key: str):
    value = row[key]
    if key == "level":
        return str(Region.Level(value).label)
    if key.endswith("_met"):
        return {True: str(_("yes")), False: str(_("no")), None: "—"}[value]
    if value is None:
        return "—"
    return value


def export_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(label) for _key, label in COLUMNS])
    for row in rows:
        writer.writerow([_cell(row, key) for key, _label in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def export_xlsx(rows: list[dict], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = str(_("Targets"))[:31]
    ws.append([title])
    ws.append([str(label) for _key, label in COLUMNS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(
            [float(v) if isinstance(v, Decimal) else v for v in (_cell(row, k) for k, _ in COLUMNS)]
        )
    ws.freeze_panes = "D3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
