"""The project's OpenAPI schema as the API tests see it: every operation, read once.

The fuzz test, the permission matrix and the limits tests all iterate what drf-spectacular
generates, so an endpoint added by any app is covered by them without further work.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
SCHEMA_URL = "/api/schema/?format=json"


@functools.cache
def schema_dict() -> dict:
    """The schema /api/schema/ serves (same generator, same post-processing hooks)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.settings import spectacular_settings

    generator = SchemaGenerator(
        urlconf=spectacular_settings.SERVE_URLCONF, api_version=None, patterns=None
    )
    return generator.get_schema(request=None, public=spectacular_settings.SERVE_PUBLIC)


@dataclass(frozen=True, order=True)
class Operation:
    method: str  # upper case
    path: str  # the template, e.g. /api/v1/regions/{id}/

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{([^}]+)}", self.path)

    def spec(self) -> dict:
        return schema_dict()["paths"][self.path][self.method.lower()]


@functools.cache
def operations() -> list[Operation]:
    ops = []
    for path, item in schema_dict()["paths"].items():
        for method in item:
            if method in HTTP_METHODS:
                ops.append(Operation(method.upper(), path))
    return sorted(ops)
