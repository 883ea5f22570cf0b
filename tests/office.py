"""LibreOffice headless for tests that print a workbook or a report to PDF, as an official would."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest


def soffice() -> str:
    """The soffice binary; without it the test skips, except on CI where it fails (see .ci/run)."""
    found = shutil.which("soffice")
    if found:
        return found
    reason = "LibreOffice (soffice) is not installed: run scripts/install-system-deps.sh libreoffice"
    if os.environ.get("SURVEYAPP_REQUIRE_BROWSER") == "1" or os.environ.get("CI") in ("true", "1"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def to_pdf(document: Path, outdir: Path) -> Path:
    """Convert with a private profile, so parallel test workers do not share one."""
    profile = outdir / "lo-profile"
    subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(outdir), str(document)],
                   check=True, capture_output=True, timeout=240)
    pdf = outdir / (document.stem + ".pdf")
    assert pdf.exists(), f"LibreOffice wrote no PDF for {document.name}"
    return pdf


def pdf_text(pdf: Path, page: int | None = None) -> str:
    """The PDF's text as poppler reads it (pypdf garbles precomposed Vietnamese letters)."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout


def pages_by_footer(pdf: Path, names: list[str]) -> dict[str, int]:
    """How many printed pages carry each sheet name in their footer ("<sheet> Trang 3 / 12")."""
    from pypdf import PdfReader
    footer = re.compile(r"^(.*\S) (?:Trang|Page) \d+ / \d+$", re.M)
    counts = {name: 0 for name in names}
    for page in PdfReader(str(pdf)).pages:
        found = footer.findall(page.extract_text())
        assert len(found) == 1, f"{pdf.name}: a page without exactly one footer: {found}"
        assert found[0] in counts, f"{pdf.name}: footer names an unknown sheet {found[0]!r}"
        counts[found[0]] += 1
    return counts
