import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _chinese():
    """Messages built outside a request follow the active language: Chinese here, whatever
    an earlier test left active; and a request's language does not leak out of a test."""
    with translation.override("zh-hans"):
        yield
