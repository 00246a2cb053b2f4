from django.urls import path
from rest_framework.routers import SimpleRouter

from .api.jobs import JobDownloadView, JobView
from .api.notifications import NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("jobs/<uuid:pk>/", JobView.as_view(), name="job-detail"),
    path("jobs/<uuid:pk>/download/", JobDownloadView.as_view(), name="job-download"),
    *router.urls,
]
