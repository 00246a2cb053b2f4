"""Everything under /api/v1/: each app contributes its own urls.py."""

from django.urls import include, path

APPS_WITH_API = [
    "core",
    "access",
    "federations",
    "funds",
    "projects",
    "escrow",
    "ledger",
    "approvals",
    "audit",
]

urlpatterns = [path("", include(f"{app}.urls")) for app in APPS_WITH_API]
