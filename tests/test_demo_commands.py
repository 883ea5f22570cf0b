"""The demo commands compose: init-demo then demo --scale adds to the demo; never to real data."""
from __future__ import annotations

from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from conftest import make_app
from surveyapp import create_app
from surveyapp.cli import cli
from surveyapp.extensions import db
from surveyapp.models import Campaign, Response


def _runner(app):
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    return lambda args: runner.invoke(cli, args, obj=info)


def _counts(app):
    with app.app_context():
        campaigns = db.session.execute(select(func.count(Campaign.id))).scalar_one()
        responses = db.session.execute(select(func.count(Response.id))).scalar_one()
        return campaigns, responses


def test_demo_prints_the_number_of_campaigns_it_made(tmp_path, postgres_url):
    app = make_app(tmp_path, postgres_url)
    run = _runner(app)
    made = run(["demo"])
    assert made.exit_code == 0, made.output
    campaigns, _ = _counts(app)
    assert f"schools, {campaigns} campaigns" in made.output
    assert made.output.count("  campaign ") == campaigns


def test_scale_after_the_demo_adds_responses_to_its_student_campaigns(tmp_path, postgres_url):
    app = make_app(tmp_path, postgres_url)
    run = _runner(app)
    assert run(["demo"]).exit_code == 0
    campaigns, before = _counts(app)
    scaled = run(["demo", "--scale", "40"])
    assert scaled.exit_code == 0, scaled.output
    assert "already loaded" in scaled.output and "+40 responses" in scaled.output
    after_campaigns, after = _counts(app)
    assert after_campaigns == campaigns
    assert after - before == 40 * scaled.output.count("+40 responses") > 0
    again = run(["demo"])
    assert again.exit_code != 0 and "--scale" in again.output


def test_scale_never_adds_synthetic_answers_to_real_data(world, app):
    from surveyapp.campaigns import create_campaign
    from surveyapp import get_registry
    definition = next(d for d in get_registry().questionnaires.values() if d.model.respondent == "student")
    create_campaign(name="Khảo sát thật", definition=definition, owner=world.dept, scope=[world.dept],
                    user_id=None)
    db.session.commit()
    refused = _runner(app)(["demo", "--scale", "10"])
    assert refused.exit_code != 0 and "not the demo's" in refused.output
    assert db.session.execute(select(func.count(Response.id))).scalar_one() == 0


def test_scale_on_a_new_database_file_migrates_first(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEYAPP_DATABASE_URL", raising=False)
    app = create_app({"ENV": "testing", "TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.sqlite'}",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    result = _runner(app)(["demo", "--scale", "5"])
    assert result.exit_code == 0, result.output
    assert "+5 responses" in result.output
    campaigns, responses = _counts(app)
    assert campaigns > 0 and responses > 0
