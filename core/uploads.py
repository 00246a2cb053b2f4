"""Uploaded files people attach (vouchers, contracts): the one check and the private storage.

    kind = check_upload(file)      # "pdf" | "jpeg" | "png", or InvalidInput naming "file"
    Voucher(file=...)              # FileField(storage=private_storage)

The type is read from the content (magic bytes), never from the name or the browser's
content type; the name's extension must agree with it (a PNG named .pdf is refused), and the
size is bounded by `UPLOAD_MAX_BYTES`. Files are stored under `PRIVATE_MEDIA_ROOT`, outside
the web root and with no URL: they are served only by a view that checks the reader's scope.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import LazyObject
from django.utils.translation import gettext as _

from .errors import InvalidInput

MAGIC = {
    "pdf": (b"%PDF-",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
EXTENSIONS = {"pdf": {"pdf"}, "jpeg": {"jpg", "jpeg"}, "png": {"png"}}
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}


def _refuse(message, code: str) -> InvalidInput:
    return InvalidInput(message, code=code, fields={"file": [message]})


def max_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", 5 * 1024 * 1024))


def sniff(head: bytes) -> str | None:
    """The kind the first bytes say, or None."""
    for kind, signatures in MAGIC.items():
        if any(head.startswith(sig) for sig in signatures):
            return kind
    return None


def check_upload(file, *, allowed=("pdf", "jpeg", "png")) -> str:
    """The file's kind ("pdf", "jpeg", "png") from its content, or InvalidInput (400 naming
    `file`): empty, too large, of another type, or a name whose extension says otherwise."""
    if file is None:
        raise _refuse(_("Attach a file."), "file_required")
    size = getattr(file, "size", None)
    if not size:
        raise _refuse(_("The file is empty."), "file_empty")
    limit = max_bytes()
    if size > limit:
        raise _refuse(
            _("The file is too large: at most %(mb).1f MB.") % {"mb": limit / 1024 / 1024},
            "file_too_large",
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    kind = sniff(head)
    if kind is None or kind not in allowed:
        raise _refuse(_("Only PDF, JPEG or PNG files are accepted."), "file_type")
    name = (getattr(file, "name", "") or "").rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS[kind]:
        raise _refuse(
            _("The file's name (.%(ext)s) does not match its content (%(kind)s).")
            % {"ext": extension or "-", "kind": kind.upper()},
            "file_extension",
        )
    return kind


class _PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = FileSystemStorage(
            location=str(settings.PRIVATE_MEDIA_ROOT),
            base_url=None,
            directory_permissions_mode=0o750,
            file_permissions_mode=0o640,
        )


_storage = _PrivateStorage()


def private_storage():
    """The storage of private uploads (a callable: migrations keep no path)."""
    return _storage
