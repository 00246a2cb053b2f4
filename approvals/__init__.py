"""The one approval engine every step that commits or releases money goes through.

A domain app adds a step kind with a registration line and two handlers. In its
`apps.py`:

    from approvals.registry import register_step

    class FundsConfig(AppConfig):
        def ready(self):
            from . import services

            register_step(
                "budget",
                label=_("Budget"),
                on_approved=services.budget_approved,   # runs in the deciding transaction
                on_rejected=services.budget_rejected,   # also on return and withdrawal
                describe=services.budget_summaries,     # optional: {id: one line} for the inbox
            )

and in its `services.py`:

    def budget_submit(*, actor, budget_id, reason):
        budget = ...  # lock, check, save
        approvals.services.request_submit(
            actor=actor, kind="budget", owner_type="funds.budget", owner_id=budget.pk,
            amount=budget.total, region=budget.township, reason=reason,
            created_by=budget.created_by,
        )

    def budget_approved(request, *, actor, reason):
        budget = Budget.objects.select_for_update().get(pk=request.owner_id)
        ...  # reserve money; mark approved

    def budget_rejected(request, *, actor, reason):
        ...  # release what was reserved

An administrator then gives the step a policy (admin or POST /api/v1/approval-policies/):
how many finance officers of which level (or staff of the object's federation, named by
the step's `federation_of`) approve above which amount, per city, county or township.
Without one, `request_submit` refuses the step (`no_policy`).

Modules: registry (step kinds), models, services (writes), selectors (reads, the inbox),
api, admin (policies, the inbox page, the approval trail for other admin pages), tasks
(the overdue reminder).
"""
