import pytest
from django.utils import translation
from django.utils.functional import empty

from core.uploads import _storage
from tests.escrow.factories import make_escrow_world


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Vouchers go to a temporary private folder (the storage is set up anew)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    _storage._wrapped = empty
    yield
    _storage._wrapped = empty


@pytest.fixture
def ew(regions):
    return make_escrow_world(regions)
