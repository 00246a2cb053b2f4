from rest_framework.routers import SimpleRouter

from .api import ApprovalPolicyViewSet, ApprovalViewSet, DelegationViewSet

router = SimpleRouter()
router.register("approvals", ApprovalViewSet, basename="approval")
router.register("approval-policies", ApprovalPolicyViewSet, basename="approval-policy")
router.register("approval-delegations", DelegationViewSet, basename="approval-delegation")

urlpatterns = router.urls
