"""Property-based fuzzing of every operation in the OpenAPI schema, as every role.

Each response must: not be a 5xx; have a documented status code, content type and
headers; have a body matching the documented schema; for any 4xx, be the common error
shape; and for invalid input (negative mode), be a 4xx. Fixed seed (derandomized),
bounded examples. One test per operation (the seeded world is built once for it), one
subtest per role and mode.
"""

import pytest

from tests.api.conftest import ROLES
from tests.api.fuzzing import DEEP_EXAMPLES, QUICK_EXAMPLES, has_inputs, run_fuzz
from tests.api.openapi import operations

OPERATIONS = operations()


def _fuzz_every_role(world, op, subtests, examples):
    modes = ("positive", "negative") if has_inputs(op) else ("positive",)
    for role in ROLES:
        for mode in modes:
            with subtests.test(role=role, mode=mode):
                assert run_fuzz(world, op, role, mode, examples) > 0


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_fuzz(world, op, subtests):
    _fuzz_every_role(world, op, subtests, QUICK_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_fuzz_deep(world, op, subtests):
    _fuzz_every_role(world, op, subtests, DEEP_EXAMPLES)
