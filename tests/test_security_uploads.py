"""Uploads: a file is what its bytes say, not its name; size-limited; never written outside
the upload folder. Evidence files go through ``surveyapp.uploads``; the organisation
import is the core's other upload."""
from __future__ import annotations

import io
import zipfile

import pytest

from conftest import login, post
from surveyapp.uploads import UploadError, save_upload, stored_path

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _english_messages(english):
    """These tests assert on the English wording of the messages."""



def _files(folder):
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


@pytest.fixture
def folder(ctx, tmp_path):
    target = tmp_path / "uploads"
    target.mkdir()
    return target


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("name, content", [
    ("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200),                          # a Windows program
    ("photo.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),                       # a Linux program
    ("photo.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
    ("page.pdf", b"<html><script>alert(1)</script></html>"),
    ("minutes.docx", _zip({"evil.exe": b"MZ" + b"\x00" * 50})),                 # a zip, not a document
    ("run.jpg", b"#!/bin/sh\nrm -rf /\n"),
])
def test_content_that_is_not_what_the_name_says_is_refused(folder, name, content):
    with pytest.raises(UploadError) as refused:
        save_upload(io.BytesIO(content), name, folder=folder)
    assert "whatever its name says" in str(refused.value)
    assert _files(folder) == []


def test_an_oversize_file_is_refused_and_nothing_stays_on_disk(folder):
    with pytest.raises(UploadError, match="larger than the limit"):
        save_upload(io.BytesIO(PDF + b"0" * 5000), "big.pdf", max_bytes=4096, folder=folder)
    assert _files(folder) == []


@pytest.mark.parametrize("name", ["../../escape.pdf", "..\\..\\escape.pdf", "/etc/cron.d/escape.pdf",
                                  "C:\\Windows\\escape.pdf", "\x00..escape.pdf", ".htaccess"])
def test_a_path_in_the_name_never_becomes_a_path(folder, tmp_path, name):
    stored = save_upload(io.BytesIO(PDF), name, folder=folder)
    assert _files(folder) == [stored.stored_name]
    assert stored.stored_name.endswith(".pdf") and "/" not in stored.filename and "\\" not in stored.filename
    assert not any(p.name.endswith("escape.pdf") for p in tmp_path.parent.rglob("*escape.pdf"))
    assert (folder / stored.stored_name).resolve().parent == folder.resolve()


@pytest.mark.parametrize("stored_name", ["../x.pdf", "..%2Fx.pdf", "a" * 32 + ".pdf/../../x",
                                         "/etc/passwd", ""])
def test_stored_names_from_the_database_are_checked_before_use(folder, stored_name):
    with pytest.raises(UploadError):
        stored_path(stored_name, folder)


def test_the_organisation_import_refuses_what_it_cannot_read(app, world, client, tmp_path):
    login(client, "dept_admin")
    # Compared with what was there before: another test of this worker may have its own units.xlsx.
    before = set(tmp_path.parent.rglob("units.xlsx"))
    page = post(client, "/admin/orgs/import",
                {"imp-file": (io.BytesIO(b"MZ\x90\x00" * 100), "../../../units.xlsx")},
                content_type="multipart/form-data")
    assert page.status_code == 422
    assert "không đọc được tệp" in page.get_data(as_text=True)
    assert set(tmp_path.parent.rglob("units.xlsx")) == before


def test_a_request_over_the_size_limit_is_refused(app, world, client):
    login(client, "dept_admin")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    big = "code,name,kind,parent_code,levels\n" + "X,Y,school,P01,thcs\n" * 10_000
    page = post(client, "/admin/orgs/import", {"imp-file": (io.BytesIO(big.encode()), "units.csv")},
                content_type="multipart/form-data")
    assert page.status_code == 413
