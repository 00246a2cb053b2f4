"""Bounds on what one API request may send, checked before anything reads the request.

- query string: at most API_MAX_QUERY_STRING characters → 400 `query_too_long`
- JSON or form body: at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes → 413 `request_too_large`
- multipart body (uploads, files included): at most API_MAX_UPLOAD_SIZE bytes → 413
  `upload_too_large` (Django counts only a multipart request's non-file fields against
  DATA_UPLOAD_MAX_MEMORY_SIZE and spools files of any size to disk)
- JSON body: arrays and objects nested at most API_MAX_JSON_DEPTH deep → 400 `json_too_deep`
  (Python's json module parses recursively: a 2 KB body nested 1,000 deep raised
  RecursionError, a 500, before any view or authentication ran)

A body past its bound is refused from its declared Content-Length, so it is never read.
Page size and the per-user rate are bounded in pagination.py and throttles.py.
"""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from .exceptions import error_body

API_PREFIX = "/api/"


def limits() -> dict:
    return {
        "query_string": settings.API_MAX_QUERY_STRING,
        "body": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        "upload": settings.API_MAX_UPLOAD_SIZE,
        "json_depth": settings.API_MAX_JSON_DEPTH,
    }


# Every byte but the four brackets, to delete; and the brackets as one kind of pair.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_PARENS = bytes.maketrans(b"[{]}", b"(())")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether arrays and objects in `body` nest deeper than `limit`, without parsing it.

    Everything runs in C over the bytes (a 2 MiB body takes milliseconds): escapes are
    dropped (a backslash only occurs inside strings), the text between quotes is dropped
    (a bracket inside a string is text), then only the brackets are kept, and innermost
    pairs `()` removed once per level: after `limit` rounds, brackets remain only if they
    nest deeper (and a run of openings longer than the bound ends the search early). A
    malformed body is left to the parser, which refuses it on its own terms.
    """
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[::2])
    brackets = outside_strings.translate(_AS_PARENS, _NOT_BRACKETS)
    for done in range(limit + 1):
        # After `done` rounds what remains nests (depth - done) deep; a run of openings
        # longer than what is left of the bound proves it too deep at once.
        if b"(" * (limit - done + 1) in brackets:
            return True
        reduced = brackets.replace(b"()", b"")
        if len(reduced) == len(brackets):
            return False  # empty, or unbalanced (malformed, not deep)
        brackets = reduced
    return False


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def _refuse(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(code, detail), status=status)


class ApiLimitsMiddleware:
    """Refuse over-long query strings, over-large bodies and over-deep JSON under /api/ in
    the error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            refusal = self.check(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def check(self, request):
        bounds = limits()
        query = request.META.get("QUERY_STRING", "")
        if len(query) > bounds["query_string"]:
            return _refuse(
                400,
                "query_too_long",
                _("The query string is too long: at most %(limit)d characters.")
                % {"limit": bounds["query_string"]},
            )
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            length = -1
        if length < 0:
            return _refuse(400, "bad_content_length", _("The Content-Length header is invalid."))
        if request.content_type == "multipart/form-data":
            if length > bounds["upload"]:
                return _refuse(
                    413,
                    "upload_too_large",
                    _("The upload is too large: at most %(limit)s.")
                    % {"limit": _megabytes(bounds["upload"])},
                )
        elif bounds["body"] is not None and length > bounds["body"]:
            return _refuse(
                413,
                "request_too_large",
                _("The request body is too large: at most %(limit)s.")
                % {"limit": _megabytes(bounds["body"])},
            )
        if length and _is_json(request.content_type or ""):
            # Read here (at most the body bound, checked above); DRF parses the cached copy.
            if json_depth_exceeds(request.body, bounds["json_depth"]):
                return _refuse(
                    400,
                    "json_too_deep",
                    _("The JSON body is nested too deeply: at most %(limit)d levels.")
                    % {"limit": bounds["json_depth"]},
                )
        return None


def _megabytes(size: int) -> str:
    if size >= 1024 * 1024:
        return "%g MiB" % round(size / (1024 * 1024), 2)
    return "%d KiB" % max(1, size // 1024)
