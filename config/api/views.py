"""Error pages: under /api/ the common JSON shape; elsewhere a page in the user's language
inside the admin's frame (header, navigation, a way home), never Django's bare English one.
"""

from django.contrib import admin
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.csrf import csrf_failure as django_csrf_failure

from core.api.exceptions import error_body

ERROR_TEMPLATE = "admin/error.html"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _page(request, status: int, title: str, message: str, *, with_site: bool = True):
    context = {"title": title, "message": message, "status": status}
    if with_site:
        try:
            context.update(admin.site.each_context(request))
        except Exception:  # noqa: BLE001  (a broken database must not hide the error page)
            pass
    body = loader.get_template(ERROR_TEMPLATE).render(context, request)
    return HttpResponse(body, status=status)


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return _page(
        request, 404, _("Page not found"), _("There is no such page, or it is not in your scope.")
    )


def bad_request(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)
    return _page(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", _("Permission denied.")), status=403)
    return _page(
        request,
        403,
        _("Permission denied"),
        _("Your roles do not give access to this page. Ask an administrator if you need it."),
    )


def server_error(request):
    if _is_api(request):
        return JsonResponse(error_body("server_error", _("Server error.")), status=500)
    return _page(
        request,
        500,
        _("Server error"),
        _("Something went wrong on our side; the error has been logged. Please try again later."),
        with_site=False,
    )


def csrf_failure(request, reason=""):
    if _is_api(request):
        detail = _("CSRF check failed: %(reason)s") % {"reason": reason}
        return JsonResponse(error_body("csrf_failed", detail), status=403)
    if request.path.startswith("/admin/"):
        return _page(
            request,
            403,
            _("The form has expired"),
            _("The page was open too long or cookies are blocked. Reload the page and try again."),
        )
    return django_csrf_failure(request, reason)
