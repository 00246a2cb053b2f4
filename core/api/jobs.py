"""Background job progress: GET /api/v1/jobs/{id}/ and the file it produced."""

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core import jobs
from core.errors import NotFound
from core.models import Job


class JobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=Job.Status.choices)
    done = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)
    progress = serializers.FloatField(allow_null=True)
    result = serializers.JSONField()
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.CharField(allow_null=True)


def job_data(request, job: Job) -> dict:
    url = None
    if job.status == Job.Status.SUCCEEDED and job.file:
        url = request.build_absolute_uri(f"/api/v1/jobs/{job.pk}/download/")
    result = {k: v for k, v in (job.result or {}).items() if k != "traceback"}
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "progress": job.progress,
        "result": result,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "download_url": url,
    }


class JobView(APIView):
    """A background job's state and progress (its owner and administrators)."""

    @extend_schema(responses=JobSerializer, operation_id="jobs_retrieve")
    def get(self, request, pk):
        job = get_object_or_404(jobs.visible_jobs(request.user), pk=pk)
        return Response(JobSerializer(job_data(request, job)).data)


class JobDownloadView(APIView):
    """The file a finished job produced."""

    @extend_schema(
        responses={
            # The file's type follows its name (FileResponse): exports are CSV or XLSX.
            (200, "text/csv"): OpenApiTypes.BINARY,
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiTypes.BINARY,
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
        },
        operation_id="jobs_download",
    )
    def get(self, request, pk):
        job = get_object_or_404(jobs.visible_jobs(request.user), pk=pk)
        if job.status != Job.Status.SUCCEEDED or not job.file:
            raise NotFound(_("This job has no file (yet)."))
        hook = jobs.DOWNLOAD_HOOKS.get(job.kind)
        if hook is not None:
            hook(request, job)
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name)
