import pytest
from django.utils import translation

from tests.escrow.factories import make_escrow_world


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Vouchers go to a temporary private folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def ew(regions):
    return make_escrow_world(regions)
