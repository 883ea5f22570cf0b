"""A zip bomb posing as an office file: a ~300 KB .docx whose parts unpack to 300 MB is
refused, and the process's peak memory grows by less than 50 MB while inspecting it.

The measurement runs in a fresh subprocess: its baseline (VmRSS after the app is built)
is not inflated by the test session, and its high-water mark (VmHWM) sees any peak."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

UNPACKED = 300 * 1024 * 1024
CONTENT_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'wordprocessingml.document.main+xml"/></Types>')


def _bomb(path: Path, bomb_part: str) -> Path:
    """A valid-looking .docx; ``bomb_part`` is padded to 300 MB of spaces (deflate packs it ~1000:1)."""
    block = b" " * (1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("word/document.xml", "<w:document/>")):
            with archive.open(name, "w", force_zip64=True) as member:
                member.write(text.encode())
                if name == bomb_part:
                    for _ in range(UNPACKED // len(block)):
                        member.write(block)
    return path


MEASURE = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from surveyapp import create_app
    from surveyapp.uploads import UploadError, save_upload

    def status(key):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    bomb, folder = Path(sys.argv[1]), sys.argv[2]
    app = create_app({"ENV": "testing", "TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": folder,
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + folder + ".sqlite"})
    with app.test_request_context():
        baseline = status("VmRSS")
        try:
            with bomb.open("rb") as stream:
                save_upload(stream, "minutes.docx")
            outcome = "accepted"
        except UploadError as exc:
            outcome = "refused: " + str(exc)
        growth = status("VmHWM") - baseline
    print(json.dumps({"outcome": outcome, "growth": growth, "files": sorted(p.name for p in Path(folder).iterdir())}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("bomb_part", ["[Content_Types].xml", "word/document.xml"])
def test_a_zip_bomb_docx_is_refused_with_little_memory(tmp_path, bomb_part):
    bomb = _bomb(tmp_path / "bomb.docx", bomb_part)
    assert bomb.stat().st_size < 400 * 1024, bomb.stat().st_size
    folder = tmp_path / "uploads"
    folder.mkdir()
    run = subprocess.run([sys.executable, "-c", MEASURE, str(bomb), str(folder)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"zip bomb ({bomb.stat().st_size // 1024} KB, part {bomb_part}): {result}")
    assert result["outcome"].startswith("refused") and "100 MB" in result["outcome"]
    assert result["growth"] < 50 * 1024 * 1024, f"peak memory grew by {result['growth'] / 2**20:.0f} MB"
    assert result["files"] == [], "nothing of the refused file stays on disk"
