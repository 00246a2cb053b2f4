"""Checking an uploaded scan (a cooperation agreement): PDF or image only, size-limited,
its type read from its first bytes, and its extension must say the same type."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from core.errors import InvalidInput

MAX_BYTES = getattr(settings, "FUNDS_SCAN_MAX_BYTES", 5 * 1024 * 1024)

# type: (content type, extensions allowed for it, magic prefix)
TYPES = {
    "pdf": ("application/pdf", (".pdf",), b"%PDF-"),
    "png": ("image/png", (".png",), b"\x89PNG\r\n\x1a\n"),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
}


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    file: ContentFile


def sniff(content: bytes) -> str | None:
    for kind, (_type, _exts, magic) in TYPES.items():
        if content.startswith(magic):
            return kind
    return None


def checked_upload(filename, content, *, field: str = "file") -> CheckedUpload:
    if not isinstance(content, bytes | bytearray) or not content:
        raise InvalidInput(_("The file is empty."), code="upload_empty",
                           fields={field: [_("The file is empty.")]})  # fmt: skip
    if len(content) > MAX_BYTES:
        raise InvalidInput(
            _("The file is %(size)d bytes: at most %(max)d MB.")
            % {"size": len(content), "max": MAX_BYTES // (1024 * 1024)},
            code="upload_too_large",
            fields={field: [_("At most %(max)d MB.") % {"max": MAX_BYTES // (1024 * 1024)}]},
        )
    kind = sniff(bytes(content[:16]))
    if kind is None:
        raise InvalidInput(
            _("Only a PDF or an image (PNG, JPEG) is accepted: the content is neither."),
            code="upload_type_not_allowed",
            fields={field: [_("Not a PDF, PNG or JPEG file.")]},
        )
    content_type, extensions, _magic = TYPES[kind]
    extension = os.path.splitext(str(filename or ""))[1].lower()
    if extension not in extensions:
        raise InvalidInput(
            _("The file's name says %(ext)s but its content is %(kind)s.")
            % {"ext": extension or "—", "kind": kind.upper()},
            code="upload_type_mismatch",
            fields={field: [_("The extension does not match the content.")]},
        )
    name = f"{uuid.uuid4().hex}{extensions[0]}"
    return CheckedUpload(name=name, content_type=content_type, file=ContentFile(bytes(content)))
