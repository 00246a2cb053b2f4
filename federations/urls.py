from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import (
    FederationViewSet,
    MembershipViewSet,
    OrganizationImportView,
    OrganizationViewSet,
    RegionViewSet,
    StaffViewSet,
    TargetReportExportView,
    TargetReportView,
)

router = SimpleRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("federations", FederationViewSet, basename="federation")
router.register("federation-staff", StaffViewSet, basename="federation-staff")
router.register("members", MembershipViewSet, basename="membership")

urlpatterns = [
    path("organizations/import/", OrganizationImportView.as_view(), name="organization-import"),
    path("reports/targets/", TargetReportView.as_view(), name="report-targets"),
    path(
        "reports/targets/export/",
        TargetReportExportView.as_view(),
        name="report-targets-export",
    ),
    *router.urls,
]
