"""Schemathesis wiring: the project's schema, the checks every response must pass, and the
per-example driver shared by the quick and the deep fuzz runs."""

from __future__ import annotations

import functools
import json
import os
import zlib

import schemathesis
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.openapi import Operation, schema_dict

# Examples per (operation, role, mode). The quick run is part of every test run: valid
# input as every role; invalid input mostly as the roles the permission matrix lets through
# (the others are refused before any input is read). The deep run (--run-slow) sends
# FUZZ_EXAMPLES (default 40) of each kind as every role.
QUICK_POSITIVE = 3
QUICK_NEGATIVE_ALLOWED = 4
QUICK_NEGATIVE_REFUSED = 1
DEEP_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SEED = 20200415  # the policy's date of effect; any fixed number would do

ERROR_KEYS = {"code", "detail", "fields"}

# Totals for the closing summary (see tests/api/conftest.py).
STATS = {"examples": 0, "operations": set(), "statuses": {}}


def error_shape(ctx, response, case):
    """Every 4xx answers the common shape {"code", "detail", "fields"} with nothing more."""
    if 400 <= response.status_code < 500:
        try:
            body = json.loads(response.content)
        except ValueError as exc:
            raise AssertionError(
                f"{response.status_code} is not JSON: {response.content[:200]!r}"
            ) from exc
        if not isinstance(body, dict) or set(body) != ERROR_KEYS:
            raise AssertionError(f"{response.status_code} not in the common error shape: {body!r}")
        if not isinstance(body["code"], str) or not isinstance(body["detail"], str):
            raise AssertionError(f"code/detail are not strings: {body!r}")
        if not isinstance(body["fields"], dict):
            raise AssertionError(f"fields is not an object: {body!r}")
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    error_shape,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]


@functools.cache
def fuzz_schema():
    from config.wsgi import application

    config = schemathesis.Config.from_dict(
        {
            "generation": {
                # Security parameters (Authorization, cookies) are ours to set, per role.
                "with-security-parameters": False,
                "allow-x00": True,
            },
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 429]
                },
            },
        }
    )
    schema = schemathesis.openapi.from_dict(schema_dict(), config=config)
    schema.app = application
    return schema


def api_operation(op: Operation):
    return fuzz_schema()[op.path][op.method]


def has_inputs(op: Operation) -> bool:
    spec = op.spec()
    return bool(spec.get("parameters")) or "requestBody" in spec


def known_ids() -> dict[str, list]:
    """Primary keys of rows that exist now, by kind, so paths name real objects."""
    ints, strings = set(), set()
    for app_label in settings.PROJECT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model.__module__.endswith("history") or model.__name__.startswith("Historical"):
                continue
            pk = model._meta.pk
            values = list(model._base_manager.order_by("-pk").values_list("pk", flat=True)[:20])
            if isinstance(pk, (models.AutoField, models.BigAutoField, models.IntegerField)):
                ints.update(values)
            else:
                strings.update(str(v) for v in values)
    return {"integer": sorted(ints), "string": sorted(strings)}


def _param_type(op: Operation, location: str, name: str) -> str | None:
    for param in op.spec().get("parameters", []):
        if param.get("in") == location and param.get("name") == name:
            return param.get("schema", {}).get("type")
    return None


# Integer query parameters that are not object ids.
NOT_IDS = {"page", "page_size", "cursor", "limit", "offset"}


def point_at_known_objects(op: Operation, case, data, pool) -> None:
    """Often swap generated ids for ids of existing rows (path and id-like query params)."""
    for name in list(case.path_parameters or {}):
        kind = _param_type(op, "path", name) or "string"
        choices = pool["integer"] if kind == "integer" else pool["string"] or pool["integer"]
        if choices and data.draw(st.integers(0, 3), label=f"known {name}?") > 0:
            case.path_parameters[name] = data.draw(st.sampled_from(choices), label=name)
    for name in list(case.query or {}):
        if name in NOT_IDS or _param_type(op, "query", name) != "integer":
            continue
        if pool["integer"] and data.draw(st.booleans(), label=f"known {name}?"):
            case.query[name] = data.draw(st.sampled_from(pool["integer"]), label=name)


def run_fuzz(world, op: Operation, role: str, mode: str, max_examples: int) -> int:
    """Send up to `max_examples` generated requests as `role`; each must pass every check."""
    from tests.api.conftest import wsgi_in_test_transaction

    operation = api_operation(op)
    generation_mode = GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE
    strategy = operation.as_strategy(generation_mode=generation_mode)
    checks = NEGATIVE_CHECKS if mode == "negative" else CHECKS
    headers = world.headers(role)
    pool = known_ids()
    sent = 0

    # A fixed seed per (operation, role, mode): the same requests on every run, and
    # different ones for each role.
    @seed(SEED + zlib.crc32(f"{op.label} {role} {mode}".encode()))
    @hypothesis_settings(
        max_examples=max_examples,
        derandomize=False,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy, data=st.data())
    def example(case, data):
        nonlocal sent
        point_at_known_objects(op, case, data, pool)
        sent += 1
        with transaction.atomic():
            try:
                response = case.call_and_validate(headers=headers, checks=checks)
                STATS["statuses"][response.status_code] = (
                    STATS["statuses"].get(response.status_code, 0) + 1
                )
            finally:
                # Each example starts from the seeded world, and a request that broke the
                # transaction cannot poison the next one.
                transaction.set_rollback(True)

    with wsgi_in_test_transaction():
        example()
    STATS["examples"] += sent
    STATS["operations"].add(op.key)
    return sent


def run_coverage(world, op: Operation, role: str) -> int:
    """Send schemathesis's deterministic boundary cases (its coverage phase: each
    parameter's edges, missing and extra fields, wrong types) as `role`; every one must pass
    the checks. Returns how many were sent; raises on the first few failures."""
    from tests.api.conftest import wsgi_in_test_transaction

    schema = fuzz_schema()
    operation = api_operation(op)
    cases = schema.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
    )
    headers = world.headers(role)
    failures, sent = [], 0
    with wsgi_in_test_transaction():
        for case in cases:
            negative = case.meta is not None and case.meta.generation.mode.is_negative
            sent += 1
            with transaction.atomic():
                try:
                    response = case.call_and_validate(
                        headers=headers, checks=NEGATIVE_CHECKS if negative else CHECKS
                    )
                    STATS["statuses"][response.status_code] = (
                        STATS["statuses"].get(response.status_code, 0) + 1
                    )
                except (AssertionError, FailureGroup) as exc:
                    failures.append(exc)
                finally:
                    transaction.set_rollback(True)
            if len(failures) >= 5:
                break
    STATS["examples"] += sent
    STATS["operations"].add(op.key)
    if failures:
        raise AssertionError(
            f"{len(failures)} failing boundary case(s), first:\n{failures[0]}"
        ) from failures[0]
    return sent
