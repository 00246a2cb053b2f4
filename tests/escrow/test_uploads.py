"""Vouchers: PDF, JPEG or PNG only, type from content, size-limited, stored privately."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import InvalidInput
from core.uploads import JPEG as JPEG_TYPE
from core.uploads import PDF as PDF_TYPE
from core.uploads import PNG as PNG_TYPE
from core.uploads import checked_upload
from escrow import services
from tests.escrow.factories import JPEG, PDF, PNG, pdf

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.pdf", PDF, PDF_TYPE),
        ("b.JPG", JPEG, JPEG_TYPE),
        ("c.jpeg", JPEG, JPEG_TYPE),
        ("d.png", PNG, PNG_TYPE),
    ],
)
def test_accepted_types(name, content, kind):
    assert checked_upload(SimpleUploadedFile(name, content)).content_type == kind


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("macro.docx", b"PK\x03\x04" + b"\x00" * 50, "upload_type_not_allowed"),  # wrong type
        ("fake.pdf", b"MZ\x90\x00 an exe", "upload_type_not_allowed"),  # faked extension
        ("page.html.png", b"<html><script>", "upload_type_not_allowed"),  # faked extension
        ("empty.pdf", b"", "upload_empty"),
    ],
)
def test_refused_uploads(name, content, code):
    with pytest.raises(InvalidInput) as exc:
        checked_upload(SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert exc.value.code == code and "file" in exc.value.fields


def test_oversize_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    with pytest.raises(InvalidInput) as exc:
        checked_upload(SimpleUploadedFile("big.pdf", PDF + b"0" * 1000))
    assert exc.value.code == "upload_too_large"


def test_a_voucher_is_stored_outside_the_web_root(ew):
    claim = ew.claim(submit=False, vouchers=0)
    voucher = services.voucher_add(actor=ew["rep"], claim_id=claim.pk, file=pdf())
    path = Path(voucher.file.path)
    assert path.is_file() and path.read_bytes() == PDF
    assert Path(settings.PRIVATE_MEDIA_ROOT) in path.parents
    assert Path(settings.MEDIA_ROOT) not in path.parents
    assert voucher.kind == "pdf" and voucher.size == len(PDF)
    assert voucher.original_name == "发票.pdf" and "发票" not in voucher.file.name
    # A PNG named .pdf is stored and served as what it is (a PNG), never as a PDF.
    png = services.voucher_add(actor=ew["rep"], claim_id=claim.pk,
                               file=SimpleUploadedFile("x.pdf", PNG))  # fmt: skip
    assert png.kind == "png" and png.file.name.endswith(".png")
    with pytest.raises(InvalidInput):
        services.voucher_add(actor=ew["rep"], claim_id=claim.pk,
                             file=SimpleUploadedFile("x.pdf", b"not a pdf"))  # fmt: skip
