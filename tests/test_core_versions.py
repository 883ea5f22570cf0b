"""A changed questionnaire file becomes a new version; campaigns keep theirs; demo and CLI listing."""
from __future__ import annotations

import json
import shutil

from sqlalchemy import select

from conftest import make_app
from surveyapp import get_registry
from surveyapp.campaigns import create_campaign, definition_of
from surveyapp.extensions import db
from surveyapp.models import Campaign, QuestionnaireVersion
from surveyapp.questionnaire import load_file
from surveyapp.storage import ensure_version


def test_changed_content_is_a_new_version_and_old_campaigns_keep_theirs(world, tmp_path):
    original = get_registry().questionnaires["mental_health.gad7"]
    campaign = create_campaign(name="GAD", definition=original, owner=world.dept, scope=[world.dept], user_id=None)
    db.session.commit()
    copy = tmp_path / "gad7.yaml"
    shutil.copy(original.path, copy)
    text = copy.read_text(encoding="utf-8").replace('version: "1.0"', 'version: "1.1"', 1)
    copy.write_text(text, encoding="utf-8")
    changed = load_file(copy)
    assert changed.hash != original.hash
    new_version = ensure_version(changed)
    db.session.commit()
    assert new_version.seq == campaign.qversion.seq + 1
    assert ensure_version(changed).id == new_version.id          # same content: same version
    stored = db.session.get(Campaign, campaign.id)
    assert definition_of(stored).version == "1.0" and stored.qversion.label == "1.0"
    versions = db.session.execute(select(QuestionnaireVersion).filter_by(qid="mental_health.gad7")).scalars().all()
    assert [v.label for v in sorted(versions, key=lambda v: v.seq)] == ["1.0", "1.1"]


def test_demo_and_campaigns_json(tmp_path, postgres_url):
    app = make_app(tmp_path, postgres_url)
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from surveyapp.cli import cli
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: app)
    demo = runner.invoke(cli, ["demo"], obj=info)
    assert demo.exit_code == 0, demo.output
    assert "password for all: surveyapp-demo" in demo.output and "school_admin" in demo.output
    listing = json.loads(runner.invoke(cli, ["campaigns", "--json"], obj=info).output)
    assert {c["module"] for c in listing} >= {"safe_school", "school_dialogue", "mental_health"}
    for campaign in listing:
        assert campaign["status"] == "open" and campaign["scope"] == ["SGD"] and campaign["responses"] > 0
        assert campaign["version"] and campaign["questionnaire"].startswith(campaign["module"] + ".")
    again = runner.invoke(cli, ["demo"], obj=info)
    assert again.exit_code != 0 and "empty" in again.output


def test_create_user_command(run_cli, world):
    made = run_cli(["create-user", "newbie", "--role", "viewer", "--org", "P01", "--password", "long-password-1"])
    assert made.exit_code == 0, made.output
    refused = run_cli(["create-user", "short", "--role", "viewer", "--org", "P01", "--password", "short"])
    assert refused.exit_code != 0 and "10" in refused.output  # the policy message, in the default locale
    unknown = run_cli(["create-user", "x", "--role", "viewer", "--org", "NOPE", "--password", "long-password-1"])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output


def test_export_worker_builds_queued_jobs_once(run_cli, world, app):
    from openpyxl import load_workbook

    from surveyapp.export import ExportOptions
    from surveyapp.jobs import queue_export, run_job
    from surveyapp.models import ExportJob
    definition = get_registry().questionnaires["mental_health.phq8"]
    campaign = create_campaign(name="Sàng lọc", definition=definition, owner=world.dept, scope=[world.dept],
                               user_id=None)
    db.session.commit()
    job = queue_export(campaign, world.dept, None, ExportOptions())
    result = run_cli(["export-worker", "--once"])
    assert result.exit_code == 0 and f"export job {job.id}: done" in result.output
    db.session.expire_all()
    stored = db.session.get(ExportJob, job.id)
    assert stored.status == "done" and load_workbook(stored.path).sheetnames
    assert run_job(job.id) is None          # already taken: never built twice
    assert run_cli(["export-worker", "--once"]).output == ""
