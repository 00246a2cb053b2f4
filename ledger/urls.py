from rest_framework.routers import SimpleRouter

from .api import LedgerAccountViewSet, LedgerTransferViewSet

router = SimpleRouter()
router.register("ledger/accounts", LedgerAccountViewSet, basename="ledger-account")
router.register("ledger/transfers", LedgerTransferViewSet, basename="ledger-transfer")

urlpatterns = router.urls
