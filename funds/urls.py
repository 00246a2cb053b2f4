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

router = SimpleRouter()
router.register("fiscal-years", FiscalYearViewSet, basename="fiscal-year")
router.register("funding-sources", FundingSourceViewSet, basename="funding-source")
router.register("budgets", BudgetViewSet, basename="budget")
router.register("budget-lines", BudgetLineViewSet, basename="budget-line")
router.register("budget-adjustments", AdjustmentViewSet, basename="budget-adjustment")
router.register("carry-forwards", CarryForwardViewSet, basename="carry-forward")

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
