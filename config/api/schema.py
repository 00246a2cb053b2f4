"""OpenAPI post-processing: every operation documents the common error shape."""

ERROR_STATUSES = {
    "400": "Invalid input",
    "401": "Not authenticated (token)",
    "403": "Not authenticated or not permitted",
    "404": "Not found or out of scope",
    "405": "Method not allowed",
    "409": "Conflict with the current state or a database rule",
    "413": "Request too large",
    "415": "Unsupported media type",
    "429": "Too many requests",
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


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    code,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    return result
