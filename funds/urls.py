from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import (
    AdjustmentViewSet,
    BudgetExecutionExportView,
    BudgetExecutionView,
    BudgetLineViewSet,
    BudgetViewSet,
    CarryForwardViewSet,
    FiscalYearViewSet,
    FundingSourceViewSet,
)
from .campaigns.api import (
    CampaignViewSet,
    CharityFundViewSet,
    DonationViewSet,
    HolderViewSet,
    ReceiptViewSet,
)

router = SimpleRouter()
router.register("fiscal-years", FiscalYearViewSet, basename="fiscal-year")
router.register("funding-sources", FundingSourceViewSet, basename="funding-source")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("budget-lines", BudgetLineViewSet, basename="budget-line")
router.register("budget-adjustments", AdjustmentViewSet, basename="budget-adjustment")
router.register("carry-forwards", CarryForwardViewSet, basename="carry-forward")
router.register("fundraising-holders", HolderViewSet, basename="fundraising-holder")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("donations", DonationViewSet, basename="donation")
router.register("receipts", ReceiptViewSet, basename="receipt")
router.register("charity-funds", CharityFundViewSet, basename="charity-fund")

urlpatterns = [
    path(
        "reports/budget-execution/", BudgetExecutionView.as_view(), name="report-budget-execution"
    ),
    path(
        "reports/budget-execution/export/",
        BudgetExecutionExportView.as_view(),
        name="report-budget-execution-export",
    ),
    *router.urls,
]
