"""Evidence uploads: size-limited, type checked by content (magic bytes), stored under random names.

The user's file name is kept only as a display label: it never becomes part of
a path, so ``../../etc/passwd`` or ``C:\\evil.exe`` is harmless. The type is
decided from the bytes, never from the name or the browser's Content-Type, so
a program renamed ``.pdf`` is refused.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional

from flask import current_app
from flask_babel import gettext as _

CHUNK = 64 * 1024
# An office file's parts, unpacked: generous for documents full of photos, far below memory.
MAX_UNPACKED = 100 * 1024 * 1024
MAX_PARTS = 5000
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z]{3,4}$")

# (signature at offset 0, kind, stored extension, MIME type)
_SIGNATURES = [
    (b"%PDF-", "pdf", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "png", "image/png"),
    (b"\xff\xd8\xff", "jpeg", "jpg", "image/jpeg"),
    (b"GIF87a", "gif", "gif", "image/gif"),
    (b"GIF89a", "gif", "gif", "image/gif"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole", "bin", "application/vnd.ms-office"),
]
# Main parts of OOXML packages (macro-enabled variants are deliberately absent).
_OOXML = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml":
        ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
# Recognised only to say clearly what a refused file is.
_KNOWN_BAD = [(b"MZ", "windows"), (b"\x7fELF", "program"), (b"#!", "script"),
              (b"\xca\xfe\xba\xbe", "program"), (b"\xcf\xfa\xed\xfe", "program")]


class UploadError(ValueError):
    """The upload was refused; the message says why in words a school secretary understands."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str      # random, inside the upload folder
    filename: str         # the user's name, cleaned, for display only
    mime: str
    size: int
    sha256: str
    kind: str


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def max_upload_bytes() -> int:
    config = current_app.config
    return int(config.get("UPLOAD_MAX_BYTES") or config.get("MAX_CONTENT_LENGTH") or 10 * 1024 * 1024)


def display_name(filename: Optional[str]) -> str:
    """The last path component, without control characters, at most 200 characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".") or "file"
    return name[-200:]


def sniff(path: Path) -> tuple[str, str, str]:
    """Return (kind, extension, MIME) from the file's bytes, or raise UploadError."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp", "webp", "image/webp"
    for signature, kind, extension, mime in _SIGNATURES:
        if head.startswith(signature):
            return kind, extension, mime
    if head.startswith(b"PK\x03\x04"):
        found = _office_package(path)  # raises UploadError for a zip bomb
        if found:
            return found
    raise UploadError(_refusal(head))


def _office_package(path: Path) -> Optional[tuple[str, str, str]]:
    """An OOXML or ODF document: a zip whose declared content type is a known office type.

    The archive is checked by streaming every part with a cap on the unpacked size and on
    the number of parts, so a zip bomb costs one chunk of memory, not its unpacked size."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(archive)
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = _head(archive, "mimetype", 100).decode("ascii", "replace").strip()
                if declared in _ODF:
                    return "odf", _ODF[declared], declared
            if "[Content_Types].xml" in names:
                types = _head(archive, "[Content_Types].xml", 200_000).decode("utf-8", "replace")
                for content_type, (extension, mime) in _OOXML.items():
                    if f'ContentType="{content_type}"' in types:
                        return "ooxml", extension, mime
    except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, EOFError, zlib.error):
        return None
    return None


def _head(archive: zipfile.ZipFile, name: str, size: int) -> bytes:
    with archive.open(name) as member:
        return member.read(size)


def _unpacked_limit() -> int:
    return int(current_app.config.get("UPLOAD_MAX_UNPACKED_BYTES") or MAX_UNPACKED)


def check_archive(archive: zipfile.ZipFile, max_unpacked: Optional[int] = None) -> None:
    """Refuse an archive with too many parts or more than ``max_unpacked`` bytes once unpacked.

    The sizes the archive declares are checked first; then every part is actually
    decompressed chunk by chunk (declared sizes can lie), stopping at the cap."""
    limit = max_unpacked or _unpacked_limit()
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise UploadError(_("the archive has more than %(n)s parts.", n=MAX_PARTS))
    if sum(info.file_size for info in infos) > limit:
        raise UploadError(_("its content unpacks to more than %(mb)s MB.", mb=_megabytes(limit)))
    total = 0
    for info in infos:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                total += len(chunk)
                if total > limit:
                    raise UploadError(_("its content unpacks to more than %(mb)s MB.", mb=_megabytes(limit)))


def _refusal(head: bytes) -> str:
    accepted = _("Accepted: PDF, images (PNG, JPEG, GIF, WebP) and office documents (Word, Excel, "
                 "PowerPoint, OpenDocument).")
    for signature, what in _KNOWN_BAD:
        if head.startswith(signature):
            label = {"windows": _("a Windows program"), "script": _("a script")}.get(what, _("a program"))
            return _("its content is %(what)s, not a document or an image, whatever its name says. "
                     "%(accepted)s", what=label, accepted=accepted)
    return _("its content is not an accepted type, whatever its name says. %(accepted)s", accepted=accepted)


def save_upload(stream: BinaryIO, filename: Optional[str], max_bytes: Optional[int] = None,
                folder: Optional[Path] = None) -> StoredFile:
    """Copy ``stream`` to a random name in the upload folder, checking size and content.

    Raises UploadError (nothing is left on disk) when the file is empty, too large
    or of a type not accepted."""
    folder = folder or upload_folder()
    limit = max_bytes or max_upload_bytes()
    label = display_name(filename)
    temporary = folder / f"{secrets.token_hex(16)}.part"
    try:
        size, digest = _copy_limited(stream, temporary, limit, label)
        try:
            kind, extension, mime = sniff(temporary)
        except UploadError as exc:
            raise UploadError(_("“%(name)s” was refused: %(reason)s", name=label, reason=str(exc))) from None
        stored = f"{secrets.token_hex(16)}.{extension}"
        os.replace(temporary, folder / stored)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return StoredFile(stored, label, mime, size, digest, kind)


def _copy_limited(stream: BinaryIO, target: Path, limit: int, label: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise UploadError(_("“%(name)s” is larger than the limit of %(mb)s MB.", name=label,
                                    mb=_megabytes(limit)))
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise UploadError(_("“%(name)s” is empty.", name=label))
    return size, digest.hexdigest()


def _megabytes(limit: int) -> str:
    value = limit / (1024 * 1024)
    return f"{value:.0f}" if value >= 1 else f"{value:.2f}"


def stored_path(stored_name: str, folder: Optional[Path] = None) -> Path:
    """The path of a stored file; refuses anything that is not one of our random names."""
    if not STORED_NAME.match(stored_name or ""):
        raise UploadError("invalid stored name")
    return (folder or upload_folder()) / stored_name


def delete_stored(stored_name: str, folder: Optional[Path] = None) -> None:
    try:
        stored_path(stored_name, folder).unlink(missing_ok=True)
    except UploadError:
        pass
