import pytest
from django.utils import translation

from tests.funds.factories import make_world


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def fw(regions):
    return make_world(regions)
