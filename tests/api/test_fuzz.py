"""Property-based fuzzing of every operation in the OpenAPI schema, as every role.

Each response must: not be a 5xx; have a documented status code, content type and
headers; have a body matching the documented schema; for any 4xx, be the common error
shape; and for invalid input (negative mode), be a 4xx. Fixed seed (derandomized),
bounded examples. One test per operation (the seeded world is built once for it), one
subtest per role and mode.
"""

import pytest

from tests.api import fuzzing
from tests.api.conftest import ROLES
from tests.api.fuzzing import has_inputs, run_coverage, run_fuzz
from tests.api.openapi import operations
from tests.api.permission_matrix import ALLOW, MATRIX, SCOPED, expected

OPERATIONS = operations()


def quick_examples(op, role, mode) -> int:
    if mode == "positive":
        return fuzzing.QUICK_POSITIVE
    if op.key not in MATRIX:  # test_permission_matrix fails on it anyway
        return fuzzing.QUICK_NEGATIVE_ALLOWED
    allowed = expected(op.key)[role] in (ALLOW, SCOPED)
    return fuzzing.QUICK_NEGATIVE_ALLOWED if allowed else fuzzing.QUICK_NEGATIVE_REFUSED


def _fuzz_every_role(world, op, subtests, examples):
    modes = ("positive", "negative") if has_inputs(op) else ("positive",)
    for role in ROLES:
        for mode in modes:
            with subtests.test(role=role, mode=mode):
                assert run_fuzz(world, op, role, mode, examples(op, role, mode)) > 0


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_fuzz(world, op, subtests):
    _fuzz_every_role(world, op, subtests, quick_examples)


@pytest.mark.slow
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_fuzz_deep(world, op, subtests):
    _fuzz_every_role(world, op, subtests, lambda *_: fuzzing.DEEP_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_boundaries_deep(world, op, subtests):
    """Schemathesis's deterministic boundary cases, as the roles that get past the
    permission checks of most operations (validation is where edges matter)."""
    for role in ("administrator", "federation_staff"):
        with subtests.test(role=role):
            assert run_coverage(world, op, role) > 0
