"""Evidence uploads: type by content (never by name), size limit, random stored names."""
from __future__ import annotations

import re

import io
import zipfile

import pytest

from surveyapp.uploads import UploadError, display_name, save_upload, stored_path

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests assert on the English wording of the messages."""



def ooxml(main_type: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml",
                         f'<Types><Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>')
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odf(mimetype: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", mimetype)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "evidence"
    path.mkdir()
    return path


DOCX = ooxml("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
DOCM = ooxml("application/vnd.ms-word.document.macroEnabled.main+xml")
ODT = odf("application/vnd.oasis.opendocument.text")


@pytest.mark.parametrize("content, name, mime, extension", [
    (PDF, "bien-ban.pdf", "application/pdf", ".pdf"),
    (PNG, "anh.png", "image/png", ".png"),
    (JPEG, "photo.jpeg", "image/jpeg", ".jpg"),
    (GIF, "a.gif", "image/gif", ".gif"),
    (WEBP, "a.webp", "image/webp", ".webp"),
    (DOCX, "ke-hoach.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    (ODT, "ke-hoach.odt", "application/vnd.oasis.opendocument.text", ".odt"),
    (OLE, "cu.doc", "application/vnd.ms-office", ".bin"),
    (PDF, "no-extension", "application/pdf", ".pdf"),       # the name does not matter
    (PNG, "photo.pdf", "image/png", ".png"),                # a mislabelled image is still an image
], ids=["pdf", "png", "jpeg", "gif", "webp", "docx", "odt", "ole", "no-ext", "png-named-pdf"])
def test_accepted_types_are_recognised_by_content(ctx, folder, content, name, mime, extension):
    stored = save_upload(io.BytesIO(content), name, folder=folder)
    assert stored.mime == mime and stored.size == len(content)
    # a random hex name with the detected extension, never the user's name
    assert re.fullmatch(r"[0-9a-f]{16,}" + re.escape(extension), stored.stored_name)
    assert (folder / stored.stored_name).read_bytes() == content
    assert stored.filename == name


@pytest.mark.parametrize("content, words", [
    (EXE, "Windows program"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 20, "program"),
    (b"#!/bin/sh\nrm -rf /\n", "script"),
    (b"<html><script>alert(1)</script></html>", "not an accepted type"),
    (DOCM, "not an accepted type"),                      # macro-enabled Word: refused
    (b"PK\x03\x04 not really a zip", "not an accepted type"),
])
def test_refused_types_say_why_and_leave_nothing(ctx, folder, content, words):
    with pytest.raises(UploadError) as caught:
        save_upload(io.BytesIO(content), "bao-cao.pdf", folder=folder)
    message = str(caught.value)
    assert "bao-cao.pdf" in message and words in message and "PDF" in message
    assert list(folder.iterdir()) == []


def test_size_limit_and_empty_file(ctx, folder):
    with pytest.raises(UploadError) as caught:
        save_upload(io.BytesIO(PDF + b"x" * 2048), "big.pdf", max_bytes=1024, folder=folder)
    assert "big.pdf" in str(caught.value) and "limit" in str(caught.value)
    with pytest.raises(UploadError, match="empty"):
        save_upload(io.BytesIO(b""), "empty.pdf", folder=folder)
    assert list(folder.iterdir()) == []


def test_default_limit_comes_from_the_config(app, ctx, folder):
    app.config["UPLOAD_MAX_BYTES"] = 100
    with pytest.raises(UploadError, match="limit"):
        save_upload(io.BytesIO(PDF * 10), "a.pdf", folder=folder)


@pytest.mark.parametrize("name, shown", [
    ("../../../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\Windows\\system32\\evil.pdf", "evil.pdf"),
    ("/abs/path/x.pdf", "x.pdf"),
    ("..", "file"),
    ("a\x00b\r\n.pdf", "ab.pdf"),
    ("", "file"),
])
def test_path_traversal_names_are_harmless(ctx, tmp_path, name, shown):
    root = tmp_path / "jail"
    folder = root / "uploads"
    folder.mkdir(parents=True)
    stored = save_upload(io.BytesIO(PDF), name, folder=folder)
    assert stored.filename == shown == display_name(name)
    assert [p.name for p in folder.iterdir()] == [stored.stored_name]
    assert [p.name for p in root.iterdir()] == ["uploads"]


def test_stored_path_accepts_only_our_names(ctx, folder):
    assert stored_path("0123456789abcdef0123456789abcdef.pdf", folder).parent == folder
    for bad in ("../x.pdf", "passwd", "0123456789abcdef0123456789abcdef.pdf/../../x"):
        with pytest.raises(UploadError):
            stored_path(bad, folder)
