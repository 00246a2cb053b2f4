"""The projects admin (Chinese by default): scoped lists with history, the declared
transitions and workflow steps as actions calling the same services as the API, and create
forms (needs, offers, projects — from a matched need and offer or directly —, allocations,
milestones, evaluations) whose choices are narrowed to the user's scope and whose saves call
the projects services; a rule a service refuses shows on the form. Contracts (with their
signed scans) and payments are made through the API and the workflow actions."""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.models import Role
from core.admin import ScopedAdmin, ServiceAdmin
from core.errors import Conflict, DomainError
from core.money import money_display

from . import admin_forms, compliance, services
from .models import (
    Allocation,
    Contract,
    Demand,
    Evaluation,
    Evidence,
    Milestone,
    MilestonePayment,
    MilestonePaymentPart,
    MilestoneReminder,
    Offer,
    Project,
    ProjectTransition,
    SupervisionVisit,
)
from .selectors import (
    allocations_visible_to,
    contracts_visible_to,
    demands_visible_to,
    evaluations_visible_to,
    evidence_visible_to,
    milestones_visible_to,
    offers_visible_to,
    payments_visible_to,
    projects_visible_to,
    visits_visible_to,
)
from .transitions import TRANSITIONS

# The create form's field each compliance rule is about.
RULE_FIELDS = {
    "negative_list": "negative_item",
    "catalogue": "catalogue_code",
    "undertaker": "undertaker",
    "sources": "line",
    "budget_first": "line",
}

STATUS_LABELS = {
    compliance.PASS: _("pass"),
    compliance.FAIL: _("fail"),
    compliance.NOT_YET: _("not yet"),
}


class ProjectsAdmin(ServiceAdmin, ScopedAdmin):
    """Read in scope; workflow steps only through actions (services check role and scope).

    An admin with an `add_form` (admin_forms) creates through `create(actor, form, reason)`,
    a projects service; the form's choices are the user's scope. Nothing is edited here."""

    writer_roles = (Role.ADMINISTRATOR, Role.FINANCE_OFFICER)
    add_form = None

    def create(self, actor, form, reason):
        raise NotImplementedError

    def has_add_permission(self, request):
        return self.add_form is not None and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None or self.add_form is None:
            return form
        user = request.user

        class ForUser(form):
            def __init__(self, *args, **kw):
                kw.setdefault("user", user)
                super().__init__(*args, **kw)

        ForUser.__name__ = form.__name__
        return ForUser

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else super().get_readonly_fields(request, obj)

    def get_inlines(self, request, obj):
        return [] if obj is None else super().get_inlines(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionError("the projects admin edits nothing")
        try:
            row = self.create(request.user, form, self.reason(form))
        except compliance.ComplianceRefused as exc:
            # The gate's reasons, each on the field it is about (the rest above the form).
            fields: dict[str, list] = {}
            for failure in exc.failures:
                name = RULE_FIELDS.get(failure.rule, "__all__")
                name = name if name in form.fields else "__all__"
                fields.setdefault(name, []).append(failure.message)
            raise Conflict(exc.detail, code=exc.code, fields=fields) from None
        self.saved(obj, row)

    def _each(self, request, queryset, call, done_message):
        done = 0
        for obj in queryset:
            try:
                call(obj)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{obj}: {exc.detail}")
        if done:
            messages.success(request, done_message % {"n": done})


class TransitionInline(admin.TabularInline):
    model = ProjectTransition
    extra = 0
    can_delete = False
    fields = ["from_state", "to_state", "actor", "reason", "at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(ProjectsAdmin):
    selector = staticmethod(projects_visible_to)
    list_display = ["title", "purchaser", "category", "undertaker_display", "fiscal_year",
                    "budget_display", "state"]  # fmt: skip
    list_filter = ["state", "category", "fiscal_year"]
    search_fields = ["title", "catalogue_code"]
    list_select_related = ["purchaser", "undertaker", "custody_federation", "member",
                           "fiscal_year"]  # fmt: skip
    readonly_fields = ["compliance_table", "lifecycle"]
    inlines = [TransitionInline]
    actions = ["submit", "start", "deliver", "accept", "close", "cancel"]
    add_form = admin_forms.ProjectForm
    writer_roles = (Role.ADMINISTRATOR, Role.FINANCE_OFFICER, Role.FEDERATION_STAFF,
                    Role.ORGANIZATION_REP)  # fmt: skip

    def create(self, actor, form, reason):
        if form.from_match:
            return services.project_propose_from_match(actor=actor, reason=reason,
                                                       **form.values())  # fmt: skip
        return services.project_create(actor=actor, reason=reason, **form.values())

    budget_display = staticmethod(money_display("budget_amount", _("planned amount (CNY)")))

    @admin.display(description=_("undertaker"))
    def undertaker_display(self, obj):
        if obj.custody_federation_id:
            return f"{obj.custody_federation}（{obj.member}）"
        return str(obj.undertaker)

    @admin.display(description=_("compliance gate"))
    def compliance_table(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        rows = [
            (r.label, STATUS_LABELS[r.status], r.message or "—") for r in compliance.report(obj)
        ]
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td><b>{}</b></td><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("lifecycle"))
    def lifecycle(self, obj):
        return format_html_join(
            "",
            "<div>{} → {}：{}</div>",
            (
                (Project.State(t.source).label, Project.State(t.target).label, t.who)
                for t in TRANSITIONS
            ),
        )

    def _step(self, request, queryset, service, message, reason=""):
        self._each(
            request,
            queryset,
            lambda p: service(actor=request.user, project_id=p.pk, reason=reason),
            message,
        )

    @admin.action(description=_("Submit for approval"))
    def submit(self, request, queryset):
        self._step(request, queryset, services.project_submit, gettext("%(n)d submitted."))

    @admin.action(description=_("Start (in progress)"))
    def start(self, request, queryset):
        self._step(request, queryset, services.project_start, gettext("%(n)d started."))

    @admin.action(description=_("Mark delivered"))
    def deliver(self, request, queryset):
        self._step(request, queryset, services.project_deliver, gettext("%(n)d delivered."))

    @admin.action(description=_("Accept the project"))
    def accept(self, request, queryset):
        self._step(request, queryset, services.project_accept, gettext("%(n)d accepted."))

    @admin.action(description=_("Close out (unspent money back to the lines)"))
    def close(self, request, queryset):
        self._step(request, queryset, services.project_close, gettext("%(n)d closed."))

    @admin.action(description=_("Cancel (reservations released)"))
    def cancel(self, request, queryset):
        self._step(request, queryset, services.project_cancel, gettext("%(n)d cancelled."),
                   reason=gettext("cancelled in the admin"))  # fmt: skip


@admin.register(Demand)
class DemandAdmin(ProjectsAdmin):
    selector = staticmethod(demands_visible_to)
    list_display = ["title", "community", "category", "priority", "beneficiary_count", "state"]
    list_filter = ["state", "category", "priority"]
    search_fields = ["title"]
    list_select_related = ["community"]
    add_form = admin_forms.DemandForm
    writer_roles = (Role.ADMINISTRATOR, Role.FINANCE_OFFICER, Role.FEDERATION_STAFF)

    def create(self, actor, form, reason):
        return services.demand_create(actor=actor, reason=reason, **form.values())


@admin.register(Offer)
class OfferAdmin(ProjectsAdmin):
    selector = staticmethod(offers_visible_to)
    list_display = ["title", "organization", "category", "area", "min_display", "max_display",
                    "state"]  # fmt: skip
    list_filter = ["state", "category"]
    search_fields = ["title"]
    list_select_related = ["organization", "area"]

    min_display = staticmethod(money_display("price_min", _("price from (CNY)")))
    max_display = staticmethod(money_display("price_max", _("price up to (CNY)")))
    add_form = admin_forms.OfferForm
    writer_roles = (Role.ADMINISTRATOR, Role.FEDERATION_STAFF, Role.ORGANIZATION_REP)

    def create(self, actor, form, reason):
        return services.offer_create(actor=actor, reason=reason, **form.values())


@admin.register(Allocation)
class AllocationAdmin(ProjectsAdmin):
    selector = staticmethod(allocations_visible_to)
    list_display = ["id", "project", "line", "amount_display", "state", "returned_display"]
    list_filter = ["state"]
    list_select_related = ["project", "line"]
    actions = ["submit"]

    amount_display = staticmethod(money_display("amount", _("amount (CNY)")))
    returned_display = staticmethod(money_display("returned", _("returned at close-out (CNY)")))
    add_form = admin_forms.AllocationForm

    def create(self, actor, form, reason):
        return services.allocation_create(actor=actor, reason=reason, **form.values())

    @admin.action(description=_("Submit for approval"))
    def submit(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda a: services.allocation_submit(actor=request.user, allocation_id=a.pk),
            gettext("%(n)d submitted."),
        )


@admin.register(Contract)
class ContractAdmin(ProjectsAdmin):
    selector = staticmethod(contracts_visible_to)
    list_display = ["id", "project", "price_display", "term_start", "term_end", "signed_on",
                    "state"]  # fmt: skip
    list_filter = ["state"]
    list_select_related = ["project"]
    exclude = ["scan"]
    actions = ["submit"]

    price_display = staticmethod(money_display("price", _("price (CNY)")))

    @admin.action(description=_("Submit for approval"))
    def submit(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: services.contract_submit(actor=request.user, contract_id=c.pk),
            gettext("%(n)d submitted."),
        )


@admin.register(Milestone)
class MilestoneAdmin(ProjectsAdmin):
    selector = staticmethod(milestones_visible_to)
    list_display = ["project", "number", "title", "due_on", "amount_display", "state"]
    list_filter = ["state"]
    list_select_related = ["project"]

    amount_display = staticmethod(money_display("amount", _("share of the price (CNY)")))
    add_form = admin_forms.MilestoneForm

    def create(self, actor, form, reason):
        return services.milestone_add(actor=actor, reason=reason, **form.values())


@admin.register(Evidence)
class EvidenceAdmin(ProjectsAdmin):
    selector = staticmethod(evidence_visible_to)
    list_display = ["id", "milestone", "original_name", "content_type", "size", "uploaded_at"]
    exclude = ["file"]


class PartInline(admin.TabularInline):
    model = MilestonePaymentPart
    extra = 0
    can_delete = False
    fields = ["allocation", "amount", "transfer", "pending"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MilestonePayment)
class PaymentAdmin(ProjectsAdmin):
    selector = staticmethod(payments_visible_to)
    list_display = ["id", "project", "milestone", "amount_display", "payee_kind", "state",
                    "paid_at"]  # fmt: skip
    list_filter = ["state", "payee_kind"]
    list_select_related = ["project", "milestone"]
    inlines = [PartInline]

    amount_display = staticmethod(money_display("amount", _("amount (CNY)")))


@admin.register(SupervisionVisit)
class VisitAdmin(ProjectsAdmin):
    selector = staticmethod(visits_visible_to)
    list_display = ["project", "visited_on", "recorded_by"]
    list_select_related = ["project", "recorded_by"]


@admin.register(Evaluation)
class EvaluationAdmin(ProjectsAdmin):
    selector = staticmethod(evaluations_visible_to)
    list_display = ["project", "organization", "evaluator_kind", "evaluator_name", "score",
                    "evaluated_on"]  # fmt: skip
    list_filter = ["evaluator_kind"]
    list_select_related = ["project", "organization"]
    add_form = admin_forms.EvaluationForm
    writer_roles = (Role.ADMINISTRATOR, Role.FINANCE_OFFICER, Role.FEDERATION_STAFF)

    def create(self, actor, form, reason):
        return services.evaluation_record(actor=actor, **form.values())  # records its own why


@admin.register(MilestoneReminder)
class ReminderAdmin(ProjectsAdmin):
    list_display = ["milestone", "kind", "sent_at"]
    list_filter = ["kind"]
