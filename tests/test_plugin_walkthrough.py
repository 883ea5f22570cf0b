"""A module built from docs/plugins.md alone: the walkthrough's blocks are copied out as a stranger
would (each names its file on its first line), pip-installed and run through the conformance
kit, with the walkthrough's own test. If the doc drifts from the code, this fails."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from surveyapp.testing.install import compile_catalogs, forget_modules

DOC = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
WALKTHROUGH = DOC.split("## Walkthrough: a module in 10 minutes", 1)[1].split("\n## ", 1)[0]
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
MARKER = re.compile(r"^(?:#|\{#) file: (\S+?)(?: #\})?$")
COMMANDS = ("", "sh")   # the folder tree and the shell steps name no file


def doc_files() -> dict[str, str]:
    """{path: text} of every block of the walkthrough that names its file."""
    files = {}
    for language, body in BLOCK.findall(WALKTHROUGH):
        if language in COMMANDS:
            continue
        marker = MARKER.match(body.splitlines()[0])
        assert marker, f"a ```{language} block of the walkthrough does not start with '# file: <path>'"
        files[marker.group(1)] = body
    return files


def test_every_file_of_the_tree_has_its_block():
    tree = BLOCK.findall(WALKTHROUGH)[0][1]
    listed = {line.strip() for line in tree.splitlines()[1:] if line.strip() and not line.strip().endswith("/")}
    named = {Path(path).name if "/" in path else path for path in doc_files()}
    named |= {path.split("surveyapp_reading/", 1)[-1] for path in doc_files()}
    assert listed <= named, f"the walkthrough lists files it never shows: {sorted(listed - named)}"


@pytest.fixture
def installed_walkthrough(tmp_path, monkeypatch):
    source, site = tmp_path / "surveyapp-reading", tmp_path / "site"
    for path, text in doc_files().items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(source)], check=True)
    compile_catalogs(site / "surveyapp_reading")    # step 7's 'surveyapp i18n-compile'
    monkeypatch.syspath_prepend(str(site))
    yield source
    forget_modules("surveyapp_reading")


def test_the_walkthrough_module_passes_its_own_test(installed_walkthrough, surveyapp_make_app):
    spec = importlib.util.spec_from_file_location("walkthrough_test_reading",
                                                  installed_walkthrough / "tests" / "test_reading.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [value for name, value in vars(module).items() if name.startswith("test_") and callable(value)]
    assert tests, "the walkthrough's test file holds no test"
    for test in tests:
        test(surveyapp_make_app)   # each runs check_module: every standard check passes
    from surveyapp.testing import check_module
    assert set(check_module("reading", surveyapp_make_app).values()) == {"passed"}
