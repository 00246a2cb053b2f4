"""Property-based fuzzing of every operation in the OpenAPI schema, as every role.

Each response must: not be a 5xx; have a documented status code and content type; have a
body matching the documented schema; for any 4xx, be the common error shape; and for
invalid input (negative mode), be a 4xx. Fixed seed (derandomized), bounded examples.
"""

import pytest

from tests.api.conftest import ROLES
from tests.api.fuzzing import DEEP_EXAMPLES, QUICK_EXAMPLES, has_inputs, run_fuzz
from tests.api.openapi import operations

OPERATIONS = operations()
MODES = ("positive", "negative")


def _skip_without_inputs(op, mode):
    if mode == "negative" and not has_inputs(op):
        pytest.skip("no parameters or body to make invalid")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_fuzz(world, op, role, mode):
    _skip_without_inputs(op, mode)
    assert run_fuzz(world, op, role, mode, QUICK_EXAMPLES) > 0


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_fuzz_deep(world, op, role, mode):
    _skip_without_inputs(op, mode)
    assert run_fuzz(world, op, role, mode, DEEP_EXAMPLES) > 0
