from rest_framework.routers import SimpleRouter

from .api import (
    BankStatementViewSet,
    CustodialAccountViewSet,
    DepositViewSet,
    ExpenseClaimViewSet,
    StatementViewSet,
)

router = SimpleRouter()
router.register("custodial-accounts", CustodialAccountViewSet, basename="custodial-account")
router.register("deposits", DepositViewSet, basename="deposit")
router.register("expense-claims", ExpenseClaimViewSet, basename="expense-claim")
router.register("statements", StatementViewSet, basename="statement")
router.register("bank-statements", BankStatementViewSet, basename="bank-statement")

urlpatterns = [*router.urls]
