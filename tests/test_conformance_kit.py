"""The conformance kit (``surveyapp.testing``) against modules that break its rules on purpose.

``tests/kit_tiny`` is a tiny module that passes every check; each test here installs a copy
with one rule broken (a real distribution on ``sys.path``, found through its entry point) and
asserts that exactly that check fails, with a message that says what is wrong."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from surveyapp.testing import CHECKS, ConformanceError, check_module
from surveyapp.testing.install import compile_catalogs, forget_modules, install_distribution

TINY = Path(__file__).parent / "kit_tiny" / "surveyapp_tiny"


@pytest.fixture
def install_tiny(tmp_path, monkeypatch):
    """Install ``surveyapp-tiny 0.1`` from tests/kit_tiny, with ``{file: (old, new)}`` edits applied."""
    site = tmp_path / "site"

    def install(edits: dict[str, tuple[str, str]] | list[tuple[str, str, str]] | None = None,
                files: dict[str, str] | None = None) -> Path:
        install_distribution(site, "surveyapp-tiny", "0.1", {"tiny": "surveyapp_tiny.plugin"},
                             packages={"surveyapp_tiny": TINY})
        for name, text in (files or {}).items():
            (site / "surveyapp_tiny" / name).write_text(text, encoding="utf-8")
        edits = [(name, *change) for name, change in edits.items()] if isinstance(edits, dict) else edits
        for name, old, new in edits or []:
            path = site / "surveyapp_tiny" / name
            text = path.read_text(encoding="utf-8")
            assert old in text, f"{name}: nothing to replace"
            path.write_text(text.replace(old, new), encoding="utf-8")
        compile_catalogs(site / "surveyapp_tiny")
        monkeypatch.syspath_prepend(str(site))
        return site

    yield install
    forget_modules("surveyapp_tiny")


def failures(make_app, module_id: str = "tiny", checks=CHECKS) -> dict[str, str]:
    with pytest.raises(ConformanceError) as info:
        check_module(module_id, make_app, checks=checks)
    assert str(info.value).startswith(f"module '{module_id}' fails {len(info.value.failures)} conformance check")
    return info.value.failures


def test_the_tiny_module_passes_every_check(install_tiny, surveyapp_make_app):
    install_tiny()
    assert check_module("tiny", surveyapp_make_app) == {check: "passed" for check in CHECKS}


@pytest.mark.slow
@pytest.mark.parametrize("module_id", ["mental_health", "school_dialogue", "safe_school"])
def test_the_built_in_modules_pass(module_id, surveyapp_make_app):
    outcome = check_module(module_id, surveyapp_make_app)
    if module_id == "safe_school":   # staff forms only: no access codes for the kit to answer with
        assert [check for check, said in outcome.items() if said == "passed"] == ["listed", "validates"]
        assert outcome["translated"].startswith("catalog and module pages passed; respondent pages skipped: "
                                                "safe_school.tt18_2023 is filled in by signed-in staff")
    else:
        assert set(outcome.values()) == {"passed"}


def test_answerable_needs_csrf_on(install_tiny, surveyapp_make_app):
    install_tiny()
    found = failures(lambda: surveyapp_make_app(WTF_CSRF_ENABLED=False), checks=["answerable"])
    assert found == {"answerable": "the app has CSRF protection off (WTF_CSRF_ENABLED); the kit answers as a "
                                   "browser does"}


def test_listed_fails_for_a_module_that_is_not_installed(surveyapp_make_app):
    found = failures(surveyapp_make_app, "parent_voice", checks=["listed", "scored"])
    assert found["listed"].startswith("no module 'parent_voice' is registered (modules: ")
    assert "'surveyapp.plugins' group" in found["listed"]
    assert found["scored"] == "not checked: the module is not listed"


def test_validates_fails_with_the_file_line_and_field(install_tiny, surveyapp_make_app):
    install_tiny({"questionnaires/check.yaml": ("method: sum", "method: maen")})
    found = failures(surveyapp_make_app, checks=["validates", "answerable"])
    assert found["validates"].startswith("the app does not start: invalid questionnaire file(s) of surveyapp-tiny 0.1")
    assert "check.yaml:" in found["validates"] and "'maen'" in found["validates"]
    assert found["answerable"] == "not checked: the app does not start"


def test_answerable_fails_when_the_last_page_breaks(install_tiny, surveyapp_make_app):
    install_tiny({"plugin.py": ("@hookimpl\ndef report_sections", "@hookimpl\ndef submission_completed(response):\n"
                                "    raise RuntimeError('lost the response')\n\n\n@hookimpl\ndef report_sections")})
    found = failures(surveyapp_make_app, checks=["answerable", "scored"])
    assert found == {"answerable": "sending page 1 raised RuntimeError: lost the response",
                     "scored": "not checked: 'answerable' failed"}


def test_scored_fails_when_the_band_is_not_the_declared_one(install_tiny, surveyapp_make_app):
    install_tiny({"plugin.py": ("@hookimpl\ndef report_sections", "@hookimpl\ndef score_response(questionnaire):\n"
                                "    from surveyapp.scoring import ScoreResult\n"
                                "    return ScoreResult(total=2.0, band='high')\n\n\n@hookimpl\ndef report_sections")})
    found = failures(surveyapp_make_app, checks=["scored"])
    assert found == {"scored": "tiny.check scale 'total': score 2 is stored with band 'high', the "
                               "questionnaire's bands give 'low'"}


def test_scored_fails_when_the_primary_score_is_missing(install_tiny, surveyapp_make_app):
    install_tiny({"plugin.py": ("@hookimpl\ndef report_sections", "@hookimpl\ndef score_response(questionnaire):\n"
                                "    from surveyapp.scoring import ScoreResult\n"
                                "    return ScoreResult()\n\n\n@hookimpl\ndef report_sections")})
    found = failures(surveyapp_make_app, checks=["scored"])
    assert found["scored"].startswith("tiny.check scale 'total': the response has no score")


def test_exported_fails_when_a_row_is_a_cell_short(install_tiny, surveyapp_make_app):
    install_tiny({"plugin.py": ("[school.code, means[school.id].n, mean_cell(means[school.id])]",
                                "[school.code, means[school.id].n]")})
    found = failures(surveyapp_make_app, checks=["exported"])
    assert found["exported"].startswith("the workbook does not build: ")
    assert "surveyapp-tiny 0.1: export_sheets sheet 'Tiny means': row 1 has 2 cells for 3 columns" in found["exported"]


LEAKY_MEAN = ("mean_cell(means[school.id])",
              "db.session.query(func.avg(Response.total)).filter_by(campaign_id=campaign.id, "
              "school_id=school.id).scalar()")
LEAKY_IMPORTS = "from surveyapp import privacy\nfrom sqlalchemy import func\nfrom surveyapp.extensions import db\nfrom surveyapp.models import Response\n"


def test_suppressed_fails_when_a_sheet_shows_a_hidden_schools_mean(install_tiny, surveyapp_make_app):
    """The attack: a module that reads the table itself instead of asking the privacy layer."""
    install_tiny([("plugin.py", *LEAKY_MEAN), ("plugin.py", "from surveyapp import privacy\n", LEAKY_IMPORTS)])
    found = failures(surveyapp_make_app, checks=["suppressed"])
    assert found == {"suppressed": "sheet 'Tiny means' row 2 changes with the answers of a group the core hides "
                                   "(one response): ['A', 1, 2] then ['A', 1, 4]; take figures from "
                                   "surveyapp.privacy (counts, score_means, band_counts, distributions) and show "
                                   "Figure.mark"}


def test_suppressed_fails_for_a_module_with_its_own_small_group_rule(install_tiny, surveyapp_make_app):
    """The subtraction attack: a module hides groups under 5 by its own rule, so the city total and
    school B's mean give away school A's one answer. The core hides B too; the module must say so."""
    install_tiny([("plugin.py", "mean_cell(means[school.id])",
                   "(hidden_value('small') if means[school.id].n < 5 else db.session.query(func.avg(Response.total))"
                   ".filter_by(campaign_id=campaign.id, school_id=school.id).scalar())"),
                  ("plugin.py", "from surveyapp import privacy\n", LEAKY_IMPORTS)])
    found = failures(surveyapp_make_app, checks=["suppressed"])
    assert found == {"suppressed": "sheet 'Tiny means' row 3 shows figures of school B, which the core hides "
                                   "(complementary: a group the first school's answer could be worked out from), "
                                   "changing with its answers: ['B', 5, 2] then ['B', 5, 4]; take figures from "
                                   "surveyapp.privacy and show Figure.mark"}


def test_suppressed_fails_when_a_section_shows_a_hidden_figure(install_tiny, surveyapp_make_app):
    """The attack: a section that builds its own Figure from the table, with no reason to hide it."""
    install_tiny({"plugin.py": (
        'figure = privacy.single(privacy.score_means(campaign, definition_of(campaign), org, None, ["total"]), campaign)',
        "from sqlalchemy import func\n    from surveyapp.extensions import db\n    from surveyapp.models import Response\n"
        "    figure = privacy.Figure(campaign.id, 1, {'total': db.session.query(func.max(Response.total))"
        ".filter_by(campaign_id=campaign.id).scalar()})")})
    found = failures(surveyapp_make_app, checks=["suppressed"])
    assert found["suppressed"].startswith(
        "the report sections for SGD (vi) change with the answers of a group the core hides (one response): "
        "[('Phần của mô-đun nhỏ', '<p>Trung bình: 2")


def test_suppressed_needs_the_core_to_hide_one_response(install_tiny, surveyapp_make_app):
    install_tiny()
    found = failures(lambda: surveyapp_make_app(MIN_GROUP_SIZE=1), checks=["suppressed"])
    assert found == {"suppressed": "the core publishes a group of one response (minimum group size 1): run the "
                                   "checks with the default MIN_GROUP_SIZE"}


def test_translated_fails_for_an_untranslated_catalog_entry(install_tiny, surveyapp_make_app):
    install_tiny({"translations/vi/LC_MESSAGES/tiny.po": ('msgstr "Phần của mô-đun nhỏ"', 'msgstr ""')})
    found = failures(surveyapp_make_app, checks=["translated"])
    assert found["translated"].endswith("tiny.po: no Vietnamese translation for 'Tiny section'")


def test_translated_fails_for_a_string_missing_from_the_catalog(install_tiny, surveyapp_make_app):
    install_tiny({"plugin.py": ('_("Tiny section")', '_("Tiny section, new wording")')})
    found = failures(surveyapp_make_app, checks=["translated"])
    assert found["translated"].startswith("strings of ")
    assert found["translated"].endswith("tiny.po): 'Tiny section, new wording'")
    assert "have no Vietnamese translation (its catalog " in found["translated"]


def test_translated_fails_when_the_catalog_is_not_compiled(install_tiny, surveyapp_make_app):
    site = install_tiny()
    (site / "surveyapp_tiny" / "translations" / "vi" / "LC_MESSAGES" / "tiny.mo").unlink()
    found = failures(surveyapp_make_app, checks=["translated"])
    assert found["translated"].endswith("tiny.po is not compiled: run 'surveyapp i18n-compile'")


def test_translated_fails_when_a_page_breaks_in_one_language(install_tiny, surveyapp_make_app):
    """A section title kept only in Vietnamese: the report works in vi and breaks in en."""
    install_tiny({"plugin.py": ('title=_("Tiny section")',
                                'title={"vi": _("Tiny section")}[str(__import__("flask_babel").get_locale())]')})
    found = failures(surveyapp_make_app, checks=["translated"])
    assert found == {"translated": "report_sections for SGD in en raised KeyError: 'en'"}


def test_translated_fails_for_a_module_page_outside_the_interface(install_tiny, surveyapp_make_app):
    """A page of the module's own blueprint that ignores the chosen language (no base.html)."""
    install_tiny({"plugin.py": ("ModulePlugin(MODULE, __name__)", 'ModulePlugin(MODULE, __name__, blueprint="views:bp")')},
                 files={"views.py": "from flask import Blueprint\n"
                                    "bp = Blueprint('tiny', __name__, url_prefix='/tiny', template_folder='templates')\n\n\n"
                                    "@bp.route('/')\ndef index():\n    return '<html><body>Tiny</body></html>'\n"})
    found = failures(surveyapp_make_app, checks=["translated"])
    assert found == {"translated": "the module's page /tiny/ asked in vi is not in vi (does its template extend "
                                   "base.html?)"}


# -- the pytest plugin ------------------------------------------------------------------------

def test_loading_the_pytest_plugin_builds_no_app_and_imports_no_flask_app_code():
    """pytest loads surveyapp.testing.plugin in every run (pytest11): it must stay cheap."""
    code = ("import sys; import surveyapp.testing.plugin; "
            "heavy = [m for m in ('surveyapp.testing.checks', 'surveyapp.views', 'surveyapp.export', "
            "'openpyxl') if m in sys.modules]; print(heavy)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"


def test_the_plugin_is_registered_through_pytest11(pytestconfig):
    assert pytestconfig.pluginmanager.has_plugin("surveyapp")
    from importlib.metadata import entry_points
    assert [ep.value for ep in entry_points(group="pytest11") if ep.name == "surveyapp"] == ["surveyapp.testing.plugin"]


@pytest.mark.slow
def test_a_plugin_project_uses_the_fixtures_and_the_parametrised_checks(install_tiny, tmp_path):
    """A third party's test suite in its own folder: the fixtures come from the pytest11 plugin
    (no conftest of ours), the checks from surveyapp.testing.conformance."""
    site = install_tiny()
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_tiny.py").write_text(
        "import pytest\n"
        "from surveyapp.testing.conformance import test_module_conforms  # noqa: F401\n\n\n"
        "@pytest.fixture\ndef surveyapp_module():\n    return 'tiny'\n\n\n"
        "def test_a_respondent_has_a_code(surveyapp_respondent, surveyapp_campaign):\n"
        "    assert surveyapp_campaign.module == 'tiny' and surveyapp_respondent.code\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEYAPP_TEST_POSTGRES", "PYTEST_XDIST_WORKER")}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(project)],
                         cwd=project, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert f"{len(CHECKS) + 1} passed" in run.stdout
