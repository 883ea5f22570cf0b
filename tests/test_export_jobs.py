"""Background exports: progress page without JavaScript, download, failures that leave no file; the CLI bar."""
from __future__ import annotations

import re
import time
from pathlib import Path

import click._termui_impl
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from openpyxl import load_workbook

from conftest import login, make_app, post
from surveyapp.cli import cli
from surveyapp.export import Column, SheetSpec
from surveyapp.extensions import db
from surveyapp.hookspecs import hookimpl
from test_reports_world import ReportWorld


class BrokenSheet:
    @hookimpl
    def export_sheets(self, campaign, org, options):
        def rows():
            yield ["fine"]
            raise RuntimeError("the plugin's data source is unavailable")
        return [SheetSpec("Broken", [Column("Value")], rows(), order=50)]


@pytest.fixture
def broken_app(tmp_path, postgres_url):
    app = make_app(tmp_path, postgres_url, extra_plugins=[BrokenSheet()])
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _world(app):
    with app.test_request_context():
        world = ReportWorld()
        return world.campaign.id, world.dept.id


def _wait(client, url, timeout=60.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        html = client.get(url).get_data(as_text=True)
        if 'http-equiv="refresh"' not in html:
            return html
        time.sleep(0.2)
    raise AssertionError("export did not finish")


def _start(app, campaign_id, dept_id):
    client = app.test_client()
    login(client, "dept_admin")
    started = post(client, f"/exports/campaign/{campaign_id}", {"org": str(dept_id)})
    assert started.status_code == 302
    return client, started.headers["Location"]


def test_export_runs_in_background_and_downloads(app, tmp_path):
    campaign_id, dept_id = _world(app)
    client, status_url = _start(app, campaign_id, dept_id)
    first = client.get(status_url).get_data(as_text=True)
    assert 'http-equiv="refresh"' in first or "/download" in first
    html = _wait(client, status_url)
    link = re.search(r'href="([^"]+/download)"', html).group(1)
    download = client.get(link)
    assert download.status_code == 200
    path = tmp_path / "downloaded.xlsx"
    path.write_bytes(download.data)
    assert "Schools" in load_workbook(path).sheetnames or "Trường" in load_workbook(path).sheetnames
    login(client, "viewer")   # another user cannot fetch someone else's job
    assert client.get(link).status_code == 404


def test_failed_export_says_why_and_leaves_no_file(broken_app):
    campaign_id, dept_id = _world(broken_app)
    client, status_url = _start(broken_app, campaign_id, dept_id)
    html = _wait(client, status_url)
    assert "the plugin&#39;s data source is unavailable" in html and "RuntimeError" in html
    assert "/download" not in html
    assert client.get(status_url + "/download").status_code == 404
    folder = Path(broken_app.config["EXPORT_FOLDER"])
    assert not folder.exists() or not list(folder.glob("*"))


def _invoke(app, args, monkeypatch):
    # CliRunner's stream is not a terminal; pretend it is so click draws the bar as it would.
    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)
    return CliRunner().invoke(cli, args, obj=ScriptInfo(create_app=lambda: app))


def test_cli_export_shows_progress_and_writes_a_workbook(app, tmp_path, monkeypatch):
    campaign_id, _dept = _world(app)
    out = tmp_path / "cli.xlsx"
    result = _invoke(app, ["export", str(campaign_id), "-o", str(out), "--locale", "en"], monkeypatch)
    assert result.exit_code == 0, result.output
    assert "100%" in result.output and re.search(r"\b[1-9]\d?%", result.output)
    assert f"wrote {out}" in result.output
    book = load_workbook(out)
    assert {"Cover", "Schools", "Units"} <= set(book.sheetnames)


def test_cli_export_failure_leaves_nothing(broken_app, tmp_path, monkeypatch):
    campaign_id, _dept = _world(broken_app)
    out = tmp_path / "broken.xlsx"
    result = _invoke(broken_app, ["export", str(campaign_id), "-o", str(out)], monkeypatch)
    assert result.exit_code == 1 and "export failed, no file written" in result.output
    assert "data source is unavailable" in result.output
    assert not out.exists() and not Path(str(out) + ".part").exists()


def test_background_export_streams_a_long_raw_sheet(app, tmp_path):
    """Progress is recorded while raw rows stream (on PostgreSQL from a server-side cursor
    that a commit of the build's own session would close)."""
    from surveyapp.bulk import generate
    from surveyapp.export import ExportOptions
    from surveyapp.jobs import queue_export, run_job
    from surveyapp.models import Campaign, ExportJob, OrgUnit
    from sqlalchemy import func, select

    from surveyapp.models import Response
    campaign_id, _dept_id = _world(app)
    with app.test_request_context():
        campaign = db.session.get(Campaign, campaign_id)
        generate(campaign, 12_000, seed=3)
        school = db.session.execute(select(OrgUnit).filter_by(code="A")).scalar_one()
        expected = db.session.execute(select(func.count()).select_from(Response).where(
            Response.campaign_id == campaign.id, Response.school_id == school.id)).scalar_one()
        # a raw sheet is the school's own copy only (a city-wide one of a student survey is refused)
        job = queue_export(campaign, school, None, ExportOptions(include_raw=True, own_school=True))
        finished = run_job(job.id)
        assert (finished.status, finished.progress) == ("done", 100), finished.message
        seen = db.session.execute(db.select(ExportJob.message).filter_by(id=job.id)).scalar_one()
        assert seen in ("Done", "Hoàn tất")  # the last progress step, written in its own transaction
        book = load_workbook(finished.path, read_only=True)
        raw = [name for name in book.sheetnames if name.startswith(("Raw", "Dữ liệu"))]
        assert raw and sum(book[name].max_row - 2 for name in raw) == expected > 1000  # note + header rows
