"""One JSON shape for every 4xx: {"code": ..., "detail": ..., "fields": {...}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from core.money import COLUMN_BOUND, MAX_AMOUNT, yuan

NUMERIC_OVERFLOW = "22003"  # PostgreSQL's numeric_value_out_of_range


def _sqlstate(exc) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(
        getattr(cause, "diag", None), "sqlstate", None
    )


def error_body(code: str, detail, fields: dict | None = None) -> dict:
    return {"code": code, "detail": str(detail), "fields": fields or {}}


def _flatten(detail) -> dict:
    """DRF's nested error detail → {"field": ["reason", ...]} with strings only."""
    if isinstance(detail, dict):
        return {str(k): _messages(v) for k, v in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value):
    if isinstance(value, dict):
        return {str(k): _messages(v) for k, v in value.items()}
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return [str(v) for v in value]
        return [_messages(v) for v in value]
    return [str(value)]


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.detail, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        detail = "; ".join(exc.messages)
        return Response(error_body("invalid", detail, _messages(fields)), status=400)
    if isinstance(exc, IntegrityError):
        # A database rule refused the write: a 409 naming the rule, never a 500.
        return Response(
            error_body("integrity_error", _("The data breaks a database rule: %s") % exc),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError) and _sqlstate(exc) == NUMERIC_OVERFLOW:
        # A number past its column (a sum of amounts, a count): a 400 naming the bound.
        return Response(
            error_body(
                "amount_out_of_range",
                _(
                    "A number is out of range: amounts are at most %(limit)s, and totals "
                    "less than %(column)s."
                )
                % {"limit": yuan(MAX_AMOUNT), "column": yuan(COLUMN_BOUND)},
            ),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", _("The request body is too large.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response(
            error_body("too_many_fields", _("The request has too many fields or files.")),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.items()))
        detail = _("Invalid input: %(field)s: %(reason)s") % {
            "field": first[0],
            "reason": _first_message(first[1]),
        }
        response.data = error_body("invalid", detail, fields)
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(code, exc.detail if isinstance(exc.detail, str) else exc)
    return response


def _first_message(value) -> str:
    while isinstance(value, (list, dict)):
        if not value:
            return ""
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
    return str(value)
