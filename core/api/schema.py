"""OpenAPI post-processing: every operation documents the common error shape."""

from drf_spectacular.types import OpenApiTypes

from core.uploads import JPEG, PDF, PNG

# A private uploaded file is served with its own type (checked from its content at upload).
PRIVATE_FILE_RESPONSES = {(200, t): OpenApiTypes.BINARY for t in (PDF, JPEG, PNG)}

ERROR_STATUSES = {
    "400": "Invalid input (including a query string, JSON nesting or amount past its bound)",
    "401": "Not authenticated (see WWW-Authenticate)",
    "403": "Not permitted",
    "404": "Not found or out of scope",
    "405": "Method not allowed",
    "409": "Conflict with the current state or a database rule",
    "413": "Request body or upload too large",
    "414": "Request line too long (refused by the web server past its limit_request_line, "
    "config/gunicorn.conf.py; the API itself refuses a query string past its bound with 400)",
    "415": "Unsupported media type",
    "429": "Too many requests (see Retry-After)",
}

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "detail", "fields"],
}


RETRY_AFTER = {
    "description": "Seconds to wait before the next request",
    "schema": {"type": "integer", "minimum": 0},
}


WWW_AUTHENTICATE = {
    "description": "How to authenticate: `Token` (send `Authorization: Token <token>`)",
    "schema": {"type": "string"},
}


def add_error_responses(result, generator, request, public):
    """Document the common error shape on every operation, and that optional query
    parameters (filters, ordering, pagination) read an empty value as not given."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter.setdefault("allowEmptyValue", True)
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
            unauthenticated = responses.get("401")
            if unauthenticated is not None and "$ref" not in unauthenticated:
                unauthenticated.setdefault("headers", {}).setdefault(
                    "WWW-Authenticate", WWW_AUTHENTICATE
                )
            throttled = responses.get("429")
            if throttled is not None and "$ref" not in throttled:
                throttled.setdefault("headers", {}).setdefault("Retry-After", RETRY_AFTER)
    return result
