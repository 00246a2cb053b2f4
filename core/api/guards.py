"""Permission checks no view can leave out: run for every API request before its view.

DRF runs a view's `permission_classes`, which default to DEFAULT_PERMISSION_CLASSES; a view
that sets its own list replaces the defaults, and with them any rule meant for every
endpoint ("auditors change nothing" was dropped that way by the audit views: an auditor's
POST got 405 instead of 403). The classes named in settings.API_GUARD_PERMISSION_CLASSES
run here instead, from a middleware, for every view under /api/, whatever the view
declares. They are ordinary DRF permission classes; a refusal is a 403 in the error shape.

The request is authenticated here with the view's own authentication classes (so a view
that authenticates nobody, like the token login, sees an anonymous user). Only unsafe
methods are checked unless a guard says otherwise (`guards_safe_methods = True`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.utils.module_loading import import_string
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings

from .exceptions import error_body
from .limits import API_PREFIX


def guard_classes() -> list:
    return [import_string(path) for path in getattr(settings, "API_GUARD_PERMISSION_CLASSES", [])]


class ApiGuardMiddleware:
    """Runs settings.API_GUARD_PERMISSION_CLASSES before every API view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path_info.startswith(API_PREFIX):
            return None
        guards = [
            guard()
            for guard in guard_classes()
            if request.method not in SAFE_METHODS or getattr(guard, "guards_safe_methods", False)
        ]
        if not guards:
            return None
        view_class = getattr(view_func, "cls", None)
        authentication = getattr(
            view_class, "authentication_classes", api_settings.DEFAULT_AUTHENTICATION_CLASSES
        )
        drf_request = Request(request, authenticators=[auth() for auth in authentication])
        django_user = getattr(request, "user", None)
        try:
            drf_request.user  # noqa: B018 (authenticates)
        except exceptions.APIException:
            # The view refuses the credentials itself, in its own words (a session without
            # its CSRF token: 403 naming CSRF). DRF has set the request's user to anonymous
            # on the way out; the view must see the session's user again to say so.
            request.user = django_user
            return None
        for guard in guards:
            if not guard.has_permission(drf_request, view_class):
                code = getattr(guard, "code", None) or "permission_denied"
                message = (
                    getattr(guard, "message", None) or exceptions.PermissionDenied.default_detail
                )
                return JsonResponse(error_body(code, message), status=403)
        return None
