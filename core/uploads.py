"""Uploaded documents (contract scans, acceptance evidence, vouchers): the one set of rules.

- Only PDF, JPEG and PNG, decided from the content's first bytes (magic numbers), never from
  the name or the browser's declared type: a ``.pdf`` holding anything else is refused.
- At most ``settings.UPLOAD_MAX_BYTES`` bytes (default 10 MiB); an empty file is refused.
- Stored in a private storage under ``settings.PRIVATE_MEDIA_ROOT``, outside MEDIA_ROOT and
  the web root: nothing serves it but a view that checks the reader's scope
  (``serve_private``).

    from core.uploads import checked_upload, private_storage
    upload = checked_upload(request.FILES.get("file"), field="scan")  # 400 naming the field
    document = Evidence(file=upload.file, content_type=upload.content_type, size=upload.size)
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject
from django.utils.translation import gettext as _

from .errors import InvalidInput

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
# The names a file of each type may carry, where a caller asks that the name agree.
NAME_EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}
# What each allowed type's content starts with.
MAGIC = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(head: bytes) -> str | None:
    """The allowed content type `head` (the file's first bytes) starts with, or None."""
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    return None


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT, with no public URL."""

    def __init__(self, **kwargs):
        kwargs.setdefault("location", None)
        kwargs["base_url"] = None
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):  # read each time: tests and deployments may move it
        return os.path.abspath(self.base_location)

    def url(self, name):  # never a public address
        raise ValueError("Private files have no URL; serve them through a scoped view.")


class _LazyPrivate(LazyObject):
    def _setup(self):
        self._wrapped = PrivateStorage()


private_storage = _LazyPrivate()


def get_private_storage():
    """For FileField(storage=...): a callable, so migrations do not freeze a path."""
    return private_storage


@deconstructible
class UploadTo:
    """An upload_to that files under `prefix/` with a random name and the extension of the
    checked type (the uploaded name is never used as a path)."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self, instance, filename):
        ext = os.path.splitext(filename)[1].lower()
        return f"{self.prefix}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other):
        return isinstance(other, UploadTo) and other.prefix == self.prefix

    def __hash__(self):
        return hash(self.prefix)


@dataclass(frozen=True)
class CheckedUpload:
    file: ContentFile
    content_type: str
    size: int
    sha256: str
    original_name: str


def _refuse(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=code, fields={field: [message]})


def checked_upload(uploaded, *, field: str = "file", name_must_agree=False) -> CheckedUpload:
    """An uploaded file checked by the rules above, or a 400 naming `field` with a code:
    `upload_missing`, `upload_empty`, `upload_too_large`, `upload_type_not_allowed`, and
    with `name_must_agree` `upload_type_mismatch` (a PNG named ``.pdf``)."""
    if uploaded is None or not hasattr(uploaded, "read"):
        raise _refuse(field, "upload_missing", _("Attach a file (PDF, JPEG or PNG)."))
    limit = max_bytes()
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise _refuse(
            field,
            "upload_too_large",
            _("The file is larger than %(mb).1f MB.") % {"mb": limit / 1024 / 1024},
        )
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    content = uploaded.read(limit + 1)
    if len(content) > limit:
        raise _refuse(
            field,
            "upload_too_large",
            _("The file is larger than %(mb).1f MB.") % {"mb": limit / 1024 / 1024},
        )
    if not content:
        raise _refuse(field, "upload_empty", _("The file is empty."))
    content_type = sniff(content[:16])
    if content_type is None:
        raise _refuse(
            field,
            "upload_type_not_allowed",
            _("Only PDF, JPEG or PNG files are accepted (checked from the content)."),
        )
    name = os.path.basename(str(getattr(uploaded, "name", "") or ""))[:200]
    if name_must_agree and os.path.splitext(name)[1].lower() not in NAME_EXTENSIONS[content_type]:
        raise _refuse(
            field,
            "upload_type_mismatch",
            _("The file's name says %(ext)s but its content is %(kind)s.")
            % {"ext": os.path.splitext(name)[1] or "—", "kind": content_type.split("/")[1].upper()},
        )
    stored = ContentFile(content, name=f"upload{EXTENSIONS[content_type]}")
    return CheckedUpload(
        file=stored,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        original_name=name,
    )


def serve_private(field_file, *, content_type: str, filename: str = "") -> FileResponse:
    """A response streaming a private file; the caller has checked the reader's scope."""
    handle = field_file.storage.open(field_file.name, "rb")
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=False,
        filename=filename or os.path.basename(field_file.name),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
