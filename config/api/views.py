"""Django-level errors under /api/ answer in the common JSON shape too."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from core.api.exceptions import error_body


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", _("Permission denied.")), status=403)
    return defaults.permission_denied(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(error_body("server_error", _("Server error.")), status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if _is_api(request):
        detail = _("CSRF check failed: %(reason)s") % {"reason": reason}
        return JsonResponse(error_body("csrf_failed", detail), status=403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)
