from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import (
    AllocationViewSet,
    ContractViewSet,
    DemandViewSet,
    DisclosureView,
    EvaluationViewSet,
    MilestoneViewSet,
    OfferViewSet,
    ProjectViewSet,
)

router = SimpleRouter()
router.register("demands", DemandViewSet, basename="demand")
router.register("offers", OfferViewSet, basename="offer")
router.register("projects", ProjectViewSet, basename="project")
router.register("allocations", AllocationViewSet, basename="allocation")
router.register("contracts", ContractViewSet, basename="contract")
router.register("milestones", MilestoneViewSet, basename="milestone")
router.register("evaluations", EvaluationViewSet, basename="evaluation")

urlpatterns = [
    path("reports/project-disclosure/", DisclosureView.as_view(), name="project-disclosure"),
    *router.urls,
]
