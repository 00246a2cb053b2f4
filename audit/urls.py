from django.urls import path

from .api import ExportView, HistoryView, VerifyView, VersionDiffView

urlpatterns = [
    path("audit/history/", HistoryView.as_view(), name="audit-history"),
    path("audit/history/diff/", VersionDiffView.as_view(), name="audit-history-diff"),
    path("audit/exports/", ExportView.as_view(), name="audit-exports"),
    path("audit/verify/", VerifyView.as_view(), name="audit-verify"),
]
