"""Auditors' API: history timeline, diffs, exports, verification, job progress.

Read by auditors (in their regions) and administrators; anyone else gets 403. An object
whose versions are all out of the auditor's scope answers 404. Every read and export is
written to the access log.
"""

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import chain, jobs, timeline
from core.api.jobs import JobSerializer, job_data
from core.errors import InvalidInput, NotFound
from core.models import VerificationRun
from federations.models import Region

from . import exports, history, registry
from .access_log import log_access
from .models import AccessLog
from .permissions import IsAuditorOrAdministrator
from .verification import check_rows, last_run

# ------------------------------------------------------------------ input


class HistoryQueryInput(serializers.Serializer):
    model = serializers.CharField(
        required=False,
        help_text="An audited model as app_label.model_name, e.g. federations.region",
    )
    object_id = serializers.CharField(
        required=False, max_length=64, help_text="The object's id (needs model)."
    )
    user = serializers.IntegerField(required=False, min_value=1, help_text="Changes by this user.")
    region = serializers.IntegerField(
        required=False, min_value=1, help_text="Changes to objects in this region's subtree."
    )
    since = serializers.DateTimeField(required=False, help_text="From this time (inclusive).")
    until = serializers.DateTimeField(required=False, help_text="Before this time.")
    action = serializers.MultipleChoiceField(
        required=False, choices=sorted(history.ACTIONS), help_text="create, change, delete"
    )

    def validate_model(self, value):
        model = history.model_by_key(value)
        if model is None:
            raise serializers.ValidationError(_("No audited model of this name."))
        return model

    def validate_region(self, value):
        region = Region.objects.filter(pk=value).first()
        if region is None:
            raise serializers.ValidationError(_("No region with this id."))
        return region

    def validate(self, attrs):
        if attrs.get("object_id") and not attrs.get("model"):
            raise serializers.ValidationError({"model": [_("Name the model of the object.")]})
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since >= until:
            raise serializers.ValidationError({"until": [_("Must be later than since.")]})
        return attrs

    def to_query(self) -> history.HistoryQuery:
        data = self.validated_data
        return history.HistoryQuery(
            model=data.get("model"),
            object_id=data.get("object_id"),
            user_id=data.get("user"),
            region=data.get("region"),
            since=data.get("since"),
            until=data.get("until"),
            actions=sorted(history.ACTIONS[a] for a in data.get("action", [])),
        )


def _parse_query(request) -> history.HistoryQuery:
    data = HistoryQueryInput(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.to_query()


def _page_size(request, default=100, maximum=500) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise InvalidInput(
            _("page_size must be between 1 and %(max)s.") % {"max": maximum},
            fields={"page_size": [_("Between 1 and %(max)s.") % {"max": maximum}]},
        )
    return value


# ------------------------------------------------------------------ output


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.JSONField(allow_null=True, help_text="the stored value (a code, an id)")
    new = serializers.JSONField(allow_null=True, help_text="the stored value (a code, an id)")
    old_display = serializers.CharField(
        allow_null=True, help_text="what a person reads: a label, a name, ¥1,234.50"
    )
    new_display = serializers.CharField(
        allow_null=True, help_text="what a person reads: a label, a name, ¥1,234.50"
    )


class HistoryEntrySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="history, or transfer (a ledger transfer)")
    model = serializers.CharField()
    model_name = serializers.CharField()
    object_id = serializers.CharField()
    object_repr = serializers.CharField()
    history_id = serializers.IntegerField()
    previous_history_id = serializers.IntegerField(allow_null=True)
    action = serializers.ChoiceField(
        # model history's actions, and those of the record timelines apps registered
        choices=[*sorted(history.ACTIONS), *sorted({t.action for t in timeline.record_timelines()})]
    )
    at = serializers.DateTimeField()
    user = UserRefSerializer(allow_null=True)
    actor = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    changes = FieldChangeSerializer(many=True)


class HistoryPageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = HistoryEntrySerializer(many=True)


class VersionRefSerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    user = UserRefSerializer(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class VersionDiffSerializer(serializers.Serializer):
    model = serializers.CharField()
    object_id = serializers.CharField()
    from_version = VersionRefSerializer()
    to_version = VersionRefSerializer()
    changes = FieldChangeSerializer(many=True)


class ChainHeadSerializer(serializers.Serializer):
    seal_id = serializers.IntegerField(allow_null=True)
    hash = serializers.CharField()


class CheckResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=VerificationRun.Status.choices)
    status_display = serializers.CharField()
    first_bad = serializers.CharField(allow_null=True)


class VerificationSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(
        choices=VerificationRun.Status.choices,
        allow_null=True,
        help_text="ok: everything checked and passed; failed: something did not match "
        "(first_bad names it); not_checked: this database cannot check everything (the "
        "chain, the triggers and the backstop need PostgreSQL).",
    )
    ok = serializers.BooleanField(allow_null=True, help_text="null when not everything was checked")
    checks = CheckResultSerializer(many=True)
    first_bad = serializers.CharField(allow_blank=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    triggered_by = serializers.CharField(allow_blank=True)
    rows_checked = serializers.IntegerField()
    head = ChainHeadSerializer()
    result = serializers.JSONField()
    current_head = ChainHeadSerializer()


class ExportAcceptedSerializer(serializers.Serializer):
    job = JobSerializer()


# ------------------------------------------------------------------ views

QUERY_PARAMS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="Cursor from `next`."),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
        description="1–500, default 100.",
    ),
]


class HistoryView(APIView):
    """The change history: versions of one object (model + object_id), one user's changes
    (user), changes in a region and time range (region, since, until), filtered by model
    and action; newest first, each with who, when, why and the difference from the
    version before. Cursor-paginated."""

    permission_classes = [IsAuditorOrAdministrator]

    @extend_schema(
        parameters=[HistoryQueryInput, *QUERY_PARAMS],
        responses=HistoryPageSerializer,
        operation_id="audit_history_list",
    )
    def get(self, request):
        query = _parse_query(request)
        size = _page_size(request)
        raw_cursor = request.query_params.get("cursor")
        after = history.Key.decode(raw_cursor) if raw_cursor else None
        rows = history.timeline_page(query, request.user, after=after, limit=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        if not rows and after is None and query.object_id is not None:
            raise NotFound(_("No visible history for this object."))
        next_url = None
        if more:
            params = request.query_params.copy()
            params["cursor"] = rows[-1].key.encode()
            next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
        results = history.entries(rows)
        log_access(request, AccessLog.Action.HISTORY, query.as_dict(), len(results))
        page = {"next": next_url, "previous": None, "results": results}
        return Response(HistoryPageSerializer(page).data)


class VersionDiffInput(serializers.Serializer):
    model = serializers.CharField(help_text="app_label.model_name")
    object_id = serializers.CharField(max_length=64)
    from_version = serializers.IntegerField(min_value=1, help_text="history_id of the older")
    to_version = serializers.IntegerField(min_value=1, help_text="history_id of the newer")

    def validate_model(self, value):
        model = registry.audited_model_by_key(value)
        if model is None:
            raise serializers.ValidationError(_("No audited model of this name."))
        return model


def _version_ref(record) -> dict:
    return {
        "history_id": record.pk,
        "at": record.history_date,
        "action": history.ACTION_NAMES.get(record.history_type, record.history_type),
        "user": history._user_info(record.history_user),
        "reason": record.history_change_reason or "",
    }


class VersionDiffView(APIView):
    """The field-by-field difference between any two versions of one object."""

    permission_classes = [IsAuditorOrAdministrator]

    @extend_schema(
        parameters=[VersionDiffInput],
        responses=VersionDiffSerializer,
        operation_id="audit_history_diff",
    )
    def get(self, request):
        data = VersionDiffInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        model = data.validated_data["model"]
        object_id = data.validated_data["object_id"]
        hist = registry.history_model_for(model)
        if hist is None:
            raise NotFound(_("No such versions of this object."))
        old, new = history.versions_between(
            hist,
            object_id,
            data.validated_data["from_version"],
            data.validated_data["to_version"],
            request.user,
        )
        if old is None or new is None:
            raise NotFound(_("No such versions of this object."))
        body = {
            "model": registry.model_key(model),
            "object_id": object_id,
            "from_version": _version_ref(old),
            "to_version": _version_ref(new),
            "changes": history.diff(hist, new, old),
        }
        log_access(
            request,
            AccessLog.Action.DIFF,
            {
                "model": body["model"],
                "object_id": object_id,
                "from": old.pk,
                "to": new.pk,
            },
            2,
        )
        return Response(VersionDiffSerializer(body).data)


class ExportInput(serializers.Serializer):
    export_format = serializers.ChoiceField(choices=["csv", "xlsx"], default="csv")


class ExportView(APIView):
    """Export any history query (same filters as the history list) as CSV or XLSX.

    Up to 5,000 rows: the file itself. More: 202 with a background job to follow at
    /api/v1/jobs/{id}/. The first row names the hash-chain head the export was taken at
    (also in the `X-Audit-Chain-Head` header)."""

    permission_classes = [IsAuditorOrAdministrator]

    @extend_schema(
        parameters=[HistoryQueryInput, ExportInput],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV"),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX"),
            (202, "application/json"): ExportAcceptedSerializer,
        },
        operation_id="audit_exports_retrieve",
    )
    def get(self, request):
        query = _parse_query(request)
        options = ExportInput(data=request.query_params)
        options.is_valid(raise_exception=True)
        fmt = options.validated_data["export_format"]
        probe = history.timeline_page(query, request.user, limit=exports.SYNC_LIMIT + 1)
        log_query = {**query.as_dict(), "format": fmt}
        if len(probe) > exports.SYNC_LIMIT:
            job = jobs.start(
                kind="audit.export",
                owner=request.user,
                params={"query": query.as_dict(), "format": fmt},
                reason=_("audit export"),
            )
            log_access(request, AccessLog.Action.EXPORT, {**log_query, "job": str(job.pk)})
            return Response({"job": job_data(request, job)}, status=status.HTTP_202_ACCEPTED)
        chain.seal()
        head = chain.head()
        log_access(request, AccessLog.Action.EXPORT, log_query, len(probe))
        name = f"audit-history-{timezone.localtime():%Y%m%d-%H%M%S}.{fmt}"
        if fmt == "csv":
            response = StreamingHttpResponse(
                exports.csv_stream(query, request.user, head), content_type="text/csv"
            )
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        else:
            tmp, _count = exports.export_to_file("xlsx", query, request.user, head)
            response = FileResponse(
                tmp,
                as_attachment=True,
                filename=name,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["X-Audit-Chain-Head"] = str(head)
        return response


class VerifyView(APIView):
    """The last integrity verification (hash chain, triggers, backstop, ledger balances) and
    the current chain head. Verification runs nightly and with `manage.py audit_verify`.
    Each check answers ok, failed or not_checked (this database cannot check it)."""

    permission_classes = [IsAuditorOrAdministrator]

    @extend_schema(responses=VerificationSerializer, operation_id="audit_verify_retrieve")
    def get(self, request):
        run = last_run()
        current = chain.head()
        results = getattr(run, "result", {}) or {}
        body = {
            "id": getattr(run, "pk", None),
            "status": getattr(run, "status", None),
            "ok": getattr(run, "ok", None),
            "checks": check_rows(run),
            "first_bad": getattr(run, "first_bad", ""),
            "started_at": getattr(run, "started_at", None),
            "finished_at": getattr(run, "finished_at", None),
            "triggered_by": getattr(run, "triggered_by", ""),
            "rows_checked": getattr(run, "rows_checked", 0),
            "head": {
                "seal_id": getattr(run, "head_seal_id", None),
                "hash": getattr(run, "head_hash", "") or "",
            },
            "result": results,
            "current_head": current.as_dict(),
        }
        log_access(request, AccessLog.Action.VERIFY, {"run": body["id"]})
        return Response(VerificationSerializer(body).data)
