"""What a locked-out login gets: the common error shape for the API, a page for the admin."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.api.exceptions import error_body


def retry_after_seconds() -> int:
    return int(float(settings.AXES_COOLOFF_TIME) * 3600)


def lockout_response(request, original_response=None, credentials=None):
    detail = _("Too many failed logins. Try again in %(minutes)d minutes.") % {
        "minutes": max(1, retry_after_seconds() // 60)
    }
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("login_locked", detail), status=429)
    else:
        html = render_to_string("access/lockout.html", {"detail": detail}, request=request)
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(retry_after_seconds())
    return response
