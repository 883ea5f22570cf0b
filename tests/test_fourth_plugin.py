"""A fourth module, installed as its own distribution, works end to end with no change to the core.

tests/fourth_plugin is the worked example of the plugin contract (docs/plugins.md): it passes
the conformance kit, and its per-school sheets and dashboard section take every figure from
the privacy layer."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import login, make_app, post
from respondent_helpers import answer_all
from surveyapp import get_registry, privacy
from surveyapp.extensions import db
from surveyapp.models import AccessCode, Response
from surveyapp.reports import ReportFilter
from surveyapp.testing import check_module
from surveyapp.testing.install import compile_catalogs, forget_modules

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def installed_fourth_plugin(tmp_path_factory):
    """pip-install tests/fourth_plugin into a private folder and put it on sys.path."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(HERE / "fourth_plugin")], check=True)
    compile_catalogs(target / "surveyapp_wellbeing")   # what 'surveyapp i18n-compile' does after an install
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    forget_modules("surveyapp_wellbeing")


def test_the_worked_example_passes_the_conformance_kit(installed_fourth_plugin, surveyapp_make_app):
    assert set(check_module("wellbeing", surveyapp_make_app).values()) == {"passed"}


def test_fourth_plugin_listed_answered_scored_exported(installed_fourth_plugin, tmp_path, postgres_url, monkeypatch):
    assert not (Path(__file__).parents[1] / "surveyapp" / "wellbeing").exists()
    app = make_app(tmp_path, postgres_url)
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from surveyapp.cli import cli
    listing = CliRunner().invoke(cli, ["plugins"], obj=ScriptInfo(create_app=lambda: app))
    assert "wellbeing.check  v1.0  3 items" in listing.output
    assert "mental_health.phq_a" in listing.output

    with app.test_request_context():
        from conftest import World
        world = World()
        dept_id = world.dept.id
    client = app.test_client()
    login(client, "dept_admin")
    created = post(client, "/campaigns/new", {"name": "Wellbeing", "questionnaire": "wellbeing.check",
                                              "scope": str(dept_id)})
    assert created.status_code == 302
    campaign_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert post(client, f"/campaigns/{campaign_id}/status", {"status": "open"}).status_code == 302
    with app.app_context():
        code = db.session.query(AccessCode).filter_by(campaign_id=campaign_id).first().code

    student = app.test_client()
    done = answer_all(student, code, {"mood_class": "1", "mood_break": "3", "wish": "=HYPERLINK(\"http://x\",\"y\")"})
    assert "/done" in done.headers["Location"]
    with app.app_context():
        response = db.session.query(Response).filter_by(campaign_id=campaign_id).one()
        assert (response.total, response.band) == (6.0, "fine")   # plugin scoring method: 2 x max(1, 3)

    out = tmp_path / "wellbeing.xlsx"
    refused = CliRunner().invoke(cli, ["export", str(campaign_id), "-o", str(out), "--raw"],
                                 obj=ScriptInfo(create_app=lambda: app))
    assert refused.exit_code != 0 and not out.exists()  # no city-wide raw rows of a student survey
    result = CliRunner().invoke(cli, ["export", str(campaign_id), "-o", str(out), "--locale", "en"],
                                obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert "Wellbeing bands" in book.sheetnames
    sheet = book["Wellbeing bands"]
    # one student at school A: the module asked the core for per-school band counts and got A's
    # back hidden, as the core's own Schools sheet hides it, with no suppression code of its own
    row = [c.value for c in sheet[2]]
    assert row[:3] == ["A", "THCS A", 1] and row[3:] == ["hidden: fewer than 5 answers"] * 2
    schools = {r[1]: r for r in book["Schools"].iter_rows(values_only=True)}
    assert "hidden: fewer than 5 answers" in schools["A"]
    with app.app_context():
        assert "wellbeing" in get_registry(app).modules


def test_five_answers_publish_the_school_in_the_sheets_and_the_section(installed_fourth_plugin, tmp_path,
                                                                       postgres_url):
    """The other side of suppression: a group at the minimum size is shown, by the same decision."""
    from flask_babel import force_locale

    from campaign_helpers import code_for, open_campaign
    from conftest import World
    from surveyapp.export import ExportOptions, collect_sheets
    from surveyapp.models import Campaign, User
    app = make_app(tmp_path, postgres_url)
    with app.test_request_context():
        world = World()
        campaign = open_campaign(world, "wellbeing.check")
        campaign_id, code = campaign.id, code_for(campaign, world.class_a6)
    for mood in ("1", "1", "2", "3", "3"):
        answer_all(app.test_client(), code, {"mood_class": mood, "mood_break": "1"})
    with app.test_request_context(), force_locale("en"):
        campaign = db.session.get(Campaign, campaign_id)
        sheets = {s.name: list(s.rows) for s in collect_sheets(campaign, campaign.owner_org, ExportOptions(locale="en"))}
        assert sheets["Wellbeing bands"] == [["A", "THCS A", 5, 2, 3]]      # 2 x max: 2, 2, 4, 6, 6
        assert sheets["Wellbeing means"] == [["A", "THCS A", 5, 4.0]]
        user = db.session.query(User).filter_by(username="dept_admin").one()
        filters = ReportFilter(campaign.owner_org)
        with privacy.filtered(filters):  # as the dashboard builds its sections
            sections = [s for found in get_registry().hook.report_sections(
                campaign=campaign, org=campaign.owner_org, user=user, filters=filters) for s in found]
    assert [s.title for s in sections] == ["Class wellbeing"]
    html = str(sections[0].html)
    assert "Mean score: 4.0" in html and "<td>Low</td><td class=\"num\">2</td>" in html
