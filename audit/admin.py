"""Admin base for audited models: history views on, revert off, a reason on every save."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from access.models import Role, User
from access.selectors import has_role, sees_everything
from core import chain, jobs
from core.admin import AuditedAdmin
from core.jobs import visible_jobs
from core.models import ChainSeal, Job, VerificationRun
from federations.models import Region

from . import exports
from . import history as audit_history
from .access_log import log_access
from .models import AccessLog
from .tasks import verify
from .verification import check_rows, last_run

# ---------------------------------------------------------------- auditors' workbench
# Read-only pages for auditors (staff users holding the auditor role) and administrators:
# the change timeline with filters, one object's versions with differences, exports, and
# the verification results. They call the same selectors as the API, so the same scope.

PAGE_SIZE = 50


def is_auditor(user) -> bool:

    return bool(
        user.is_active and user.is_staff and (sees_everything(user) or has_role(user, Role.AUDITOR))
    )


class ReadOnlyForAuditors(admin.ModelAdmin):
    def has_module_permission(self, request):
        return is_auditor(request.user)

    def has_view_permission(self, request, obj=None):
        return is_auditor(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _model_choices():
    choices = [("", _("All models"))]
    models_ = [h.instance_type for h in audit_history.registry.timeline_models()]
    models_ += [s.model for s in audit_history.extra_sources()]
    for model in sorted(models_, key=lambda m: str(m._meta.verbose_name)):
        choices.append((audit_history.model_key(model), f"{model._meta.verbose_name}"))
    return choices


class TimelineForm(forms.Form):
    model = forms.ChoiceField(label=_("Model"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    region = forms.ModelChoiceField(label=_("Region"), required=False, queryset=None)
    since = forms.DateTimeField(label=_("From"), required=False)
    until = forms.DateTimeField(label=_("Until"), required=False)
    action = forms.MultipleChoiceField(
        label=_("Action"),
        required=False,
        choices=[("create", _("Created")), ("change", _("Changed")), ("delete", _("Deleted"))],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["model"].choices = _model_choices()
        self.fields["region"].queryset = Region.objects.exclude(level="community")

    def clean(self):
        data = super().clean()
        if data.get("object_id") and not data.get("model"):
            self.add_error("model", _("Name the model of the object."))
        return data

    def to_query(self) -> "audit_history.HistoryQuery":

        data = self.cleaned_data
        user_id = None
        if data.get("username"):
            user = User.objects.filter(username=data["username"]).first()
            user_id = user.pk if user else -1
        return audit_history.HistoryQuery(
            model=audit_history.model_by_key(data["model"]) if data.get("model") else None,
            object_id=data.get("object_id") or None,
            user_id=user_id,
            region=data.get("region"),
            since=data.get("since"),
            until=data.get("until"),
            actions=sorted(audit_history.ACTIONS[a] for a in data.get("action") or []),
        )


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnlyForAuditors):
    """Every verification (nightly, `audit_verify`, `ledger_verify`); the workbench's pages
    (timeline, export, run now) hang off it."""

    list_display = [
        "finished_at", "status", "checks", "triggered_by", "rows_checked", "head_seal_id",
        "first_bad",
    ]  # fmt: skip
    list_filter = ["status"]
    readonly_fields = [
        "started_at",
        "finished_at",
        "status",
        "checks",
        "triggered_by",
        "head_seal_id",
        "head_hash",
        "rows_checked",
        "first_bad",
        "result",
    ]
    change_list_template = "admin/audit/verificationrun/change_list.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("timeline/", wrap(self.timeline_view), name="audit_timeline"),
            path("export/", wrap(self.export_view), name="audit_export"),
            path("run/", wrap(self.run_view), name="audit_run_verification"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):

        run = last_run()
        extra_context = {**(extra_context or {}), "last_run": run, "checks": check_rows(run)}
        return super().changelist_view(request, extra_context)

    def _require(self, request):
        if not is_auditor(request.user):
            raise PermissionDenied

    def timeline_view(self, request):
        """The change timeline, or one object's versions (model + object id) with
        differences; ?from_version=&to_version= compares any two versions."""

        self._require(request)
        form = TimelineForm(request.GET or None)
        entries, next_cursor, comparison = [], None, None
        if form.is_bound and form.is_valid():
            query = form.to_query()
        else:
            query = audit_history.HistoryQuery()
        raw_cursor = request.GET.get("cursor")
        after = None
        if raw_cursor:
            try:
                after = audit_history.Key.decode(raw_cursor)
            except Exception:  # noqa: BLE001
                after = None
        if not form.is_bound or form.is_valid():
            rows = audit_history.timeline_page(
                query, request.user, after=after, limit=PAGE_SIZE + 1
            )
            if len(rows) > PAGE_SIZE:
                rows = rows[:PAGE_SIZE]
                params = request.GET.copy()
                params["cursor"] = rows[-1].key.encode()
                next_cursor = params.urlencode()
            entries = audit_history.entries(rows)
            comparison = self._comparison(request, query)
            log_access(request, AccessLog.Action.ADMIN, query.as_dict(), len(entries))
        export_params = request.GET.copy()
        export_params.pop("cursor", None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change timeline"),
            "form": form,
            "entries": entries,
            "next_query": next_cursor,
            "export_query": export_params.urlencode(),
            "comparison": comparison,
            "object_view": bool(query.model and query.object_id),
            "last_run": (run := last_run()),
            "checks": check_rows(run),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/audit/timeline.html", context)

    def _comparison(self, request, query):
        if not (query.model and query.object_id):
            return None
        try:
            old_id = int(request.GET.get("from_version", ""))
            new_id = int(request.GET.get("to_version", ""))
        except ValueError:
            return None
        hist = audit_history.registry.history_model_for(query.model)
        if hist is None:
            return None
        old, new = audit_history.versions_between(
            hist, query.object_id, old_id, new_id, request.user
        )
        if old is None or new is None:
            return {"missing": True}
        return {"old": old, "new": new, "changes": audit_history.diff(hist, new, old)}

    def export_view(self, request):
        """Export the timeline's query: small ones at once, large ones as a job."""

        self._require(request)
        form = TimelineForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            messages.error(request, _("Fix the filters first."))
            return HttpResponseRedirect(reverse("admin:audit_timeline"))
        query = form.to_query() if form.is_bound else audit_history.HistoryQuery()
        fmt = "xlsx" if request.GET.get("export_format") == "xlsx" else "csv"
        probe = audit_history.timeline_page(query, request.user, limit=exports.SYNC_LIMIT + 1)
        if len(probe) > exports.SYNC_LIMIT:
            job = jobs.start(
                kind="audit.export",
                owner=request.user,
                params={"query": query.as_dict(), "format": fmt},
                reason=str(_("audit export (admin)")),
            )
            log_access(request, AccessLog.Action.EXPORT, {**query.as_dict(), "job": str(job.pk)})
            messages.info(
                request,
                _("The export runs in the background: job %(id)s.") % {"id": job.pk},
            )
            return HttpResponseRedirect(reverse("admin:core_job_change", args=[job.pk]))
        chain.seal()
        head = chain.head()
        log_access(request, AccessLog.Action.EXPORT, {**query.as_dict(), "format": fmt}, len(probe))
        tmp, _count = exports.export_to_file(fmt, query, request.user, head)
        response = FileResponse(tmp, as_attachment=True, filename=f"audit-history.{fmt}")
        response["X-Audit-Chain-Head"] = str(head)
        return response

    def run_view(self, request):
        """Run a verification now (in the background when a worker is configured)."""

        self._require(request)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:core_verificationrun_changelist"))
        verify.delay()
        messages.info(request, _("Verification started; its result appears in this list."))
        return HttpResponseRedirect(reverse("admin:core_verificationrun_changelist"))


@admin.register(ChainSeal)
class ChainSealAdmin(ReadOnlyForAuditors):
    """The links of the one hash chain (history rows and ledger transfers)."""

    list_display = ["seq", "table_name", "row_pk", "event", "hash", "sealed_at"]
    show_full_result_count = False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyForAuditors):
    list_display = ["at", "username", "action", "rows", "path"]
    list_filter = ["action"]
    search_fields = ["username", "path"]
    date_hierarchy = "at"


@admin.register(Job)
class JobAdmin(ReadOnlyForAuditors, AuditedAdmin):
    list_display = ["created_at", "kind", "owner", "status", "done", "total"]
    list_filter = ["status", "kind"]
    readonly_fields = [
        "kind",
        "owner",
        "status",
        "params",
        "done",
        "total",
        "result",
        "file",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def get_queryset(self, request):

        return visible_jobs(request.user)
