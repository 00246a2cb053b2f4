"""The one upload check (core.uploads): PDF/JPEG/PNG by content, size-limited, private."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import InvalidInput
from core.uploads import checked_upload, private_storage

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32


def upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [("a.pdf", PDF, "application/pdf"), ("b.jpg", JPEG, "image/jpeg"), ("c.png", PNG, "image/png")],
)
def test_allowed_types_are_recognised_from_the_content(name, content, expected):
    checked = checked_upload(upload(name, content, "application/octet-stream"), field="scan")
    assert checked.content_type == expected and checked.size == len(content)
    assert checked.file.name.endswith({"application/pdf": ".pdf", "image/jpeg": ".jpg",
                                       "image/png": ".png"}[expected])  # fmt: skip


def refused(code, uploaded, field="scan"):
    with pytest.raises(InvalidInput) as caught:
        checked_upload(uploaded, field=field)
    assert caught.value.code == code
    assert list(caught.value.fields) == [field]


def test_a_wrong_type_is_refused():
    refused("upload_type_not_allowed", upload("a.txt", b"hello", "text/plain"))
    refused("upload_type_not_allowed", upload("a.docx", b"PK\x03\x04" + b"\x00" * 30))


def test_a_faked_extension_and_declared_type_are_refused():
    # an HTML page named .pdf and declared application/pdf
    refused("upload_type_not_allowed", upload("scan.pdf", b"<html><script>x</script></html>"))
    refused("upload_type_not_allowed", upload("photo.png", b"GIF89a" + b"\x00" * 20, "image/png"))


def test_an_oversize_file_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 1024
    refused("upload_too_large", upload("big.pdf", PDF + b"0" * 2000))
    assert checked_upload(upload("ok.pdf", PDF), field="scan").size == len(PDF)


def test_missing_and_empty_files_are_refused():
    refused("upload_missing", None)
    refused("upload_empty", upload("empty.pdf", b""))


def test_private_storage_is_outside_media_and_has_no_url(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    assert str(settings.PRIVATE_MEDIA_ROOT) != str(settings.MEDIA_ROOT)
    with pytest.raises(ValueError):
        private_storage.url("x.pdf")
