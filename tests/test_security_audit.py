"""The audit log: admin actions, exports and sign-ins are recorded, chained by hashes;
``surveyapp audit verify`` passes on an untouched log and fails after any edit."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select, text

from conftest import login, post
from surveyapp.extensions import db
from surveyapp.models import AuditEntry


@pytest.fixture
def chain(app, world, client):
    """A log written by real requests: a sign-in, a user and a unit created."""
    login(client, "dept_admin")
    post(client, "/admin/users", {"user-username": "new_viewer", "user-password": "new-viewer-phrase",
                                  "user-role": "viewer", "user-org": str(world.school_a.id)})
    post(client, "/admin/orgs", {"unit-parent": str(world.ward.id), "unit-code": "C9", "unit-name": "THCS C",
                                 "unit-kind": "school", "unit-levels": "thcs"})
    db.session.expire_all()
    entries = db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    assert {"login", "user.create", "org.create"} <= {e.action for e in entries}
    return entries


def _verify(run_cli):
    result = run_cli(["audit", "verify"])
    return result.exit_code, result.output


def test_verify_passes_on_an_untouched_log(chain, run_cli):
    code, output = _verify(run_cli)
    assert code == 0 and "intact" in output


def test_each_entry_is_chained_to_the_previous_one(chain):
    for previous, entry in zip(chain, chain[1:]):
        assert entry.prev_hash == previous.hash and len(entry.hash) == 64


@pytest.mark.parametrize("column, value", [("detail", json.dumps({"role": "admin"})), ("action", "login"),
                                           ("user_id", None), ("object_id", "999")])
def test_verify_fails_after_an_edit_to_one_row(chain, run_cli, column, value):
    target = chain[1]
    db.session.execute(text(f"UPDATE audit_log SET {column} = :v WHERE id = :id"), {"v": value, "id": target.id})
    db.session.commit()
    code, output = _verify(run_cli)
    assert code != 0 and f"entry {target.id}" in output and "NOT intact" in output


def test_verify_fails_when_a_row_is_deleted(chain, run_cli):
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": chain[1].id})
    db.session.commit()
    assert _verify(run_cli)[0] != 0


def test_verify_fails_when_the_last_rows_are_cut_off(chain, run_cli):
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": chain[-1].id})
    db.session.commit()
    code, output = _verify(run_cli)
    assert code != 0 and "last entries were removed" in output


def test_the_installed_command_checks_the_real_database(app, chain):
    """The same through the ``surveyapp`` executable, as an operator would run it."""
    env = {**os.environ, "SURVEYAPP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SURVEYAPP_SECRET_KEY": "test-secret"}
    command = [sys.executable, "-c", "from surveyapp.cli import main; main()", "audit", "verify"]
    db.session.commit()
    assert subprocess.run(command, env=env, capture_output=True, text=True, timeout=120).returncode == 0
    db.session.execute(text("UPDATE audit_log SET detail = :v WHERE id = :id"),
                       {"v": json.dumps({"x": 1}), "id": chain[0].id})
    db.session.commit()
    broken = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert broken.returncode != 0 and f"entry {chain[0].id}" in broken.stderr


def test_an_export_download_is_recorded(app, world, client, tmp_path):
    from surveyapp.models import ExportJob
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK")
    from surveyapp import get_registry
    from surveyapp.campaigns import create_campaign
    campaign = create_campaign(name="C", definition=get_registry().questionnaires["school_dialogue.dialogue"],
                               owner=world.dept, scope=[world.dept], user_id=None)
    db.session.flush()
    job = ExportJob(campaign_id=campaign.id, org_id=world.dept.id, user_id=world.users["dept_admin"].id,
                    status="done", path=str(path))
    db.session.add(job)
    db.session.commit()
    login(client, "dept_admin")
    assert client.get(f"/exports/{job.id}/download").status_code == 200
    db.session.expire_all()
    recorded = db.session.execute(select(AuditEntry).filter_by(action="export.download")).scalars().all()
    assert [(e.object_id, e.user_id) for e in recorded] == [(str(job.id), world.users["dept_admin"].id)]
