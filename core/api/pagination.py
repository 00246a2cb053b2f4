"""Pagination: page numbers for ordinary lists, cursors for append-only streams.

`page_size` is bounded: a value that is not a whole number from 1 to the maximum is
refused (400 naming `page_size`) rather than silently replaced, and the schema says so.
"""

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class BoundedPageSize:
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = None
        if size is None or not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters


class PageNumberPagination(BoundedPageSize, pagination.PageNumberPagination):
    page_size = 50
    max_page_size = 200

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class CursorPagination(BoundedPageSize, pagination.CursorPagination):
    """For ledger and history lists: ordered by an unchanging, increasing key."""

    page_size = 100
    max_page_size = 500
    ordering = "-id"
