"""Account mail over a real SMTP server on loopback (aiosmtpd): a password reset by a
one-time e-mailed link, and bulk provisioning of school-admin accounts (letters per ward,
or e-mail where the organisation file gave an address)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from conftest import csrf_token, login, post
from surveyapp.extensions import db
from surveyapp.models import AuditEntry, User
from surveyapp.orgs import add_unit

NEW_PASSWORD = "mailed-link-phrase-7"


@pytest.fixture
def app(mail_app):
    return mail_app


def _link_path(text: str) -> str:
    return re.search(r"https?://surveyapp\.test(/account/link/[A-Za-z0-9_-]+)", text).group(1)


def test_a_forgotten_password_is_reset_by_a_one_time_mailed_link(app, world, client, smtp):
    box = smtp.inbox
    viewer = world.users["viewer"]
    viewer.email = "co.lan@example.vn"
    db.session.commit()
    answer = post(client, "/account/forgot", {"username": "viewer"})
    assert answer.status_code == 302
    unknown = post(client, "/account/forgot", {"username": "nobody"})
    assert unknown.status_code == 302, "the same answer for an unknown account"
    assert len(box.messages) == 1 and box.messages[0]["To"] == "co.lan@example.vn"
    path = _link_path(box.messages[0].get_content())
    assert post(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    login(app.test_client(), "viewer", NEW_PASSWORD)
    assert client.get(path).status_code == 404, "the link works once"
    stored = db.session.execute(select(AuditEntry.detail).where(AuditEntry.action == "user.reset_link")).scalars()
    assert path.rsplit("/", 1)[1] not in str(list(stored)), "the token is not in the audit log"


def test_bulk_provisioning_letters_per_ward_and_mail_where_an_address_is_known(app, world, client, smtp):
    box = smtp.inbox
    c1 = add_unit(code="C1", name="THCS C1", kind="school", parent=world.ward, levels=["thcs"],
                  contact={"email": "c1@example.vn"})
    c2 = add_unit(code="C2", name="THCS C2", kind="school", parent=world.ward2, levels=["thcs"])
    db.session.commit()
    login(client, "dept_admin")
    page = post(client, "/admin/provision", {"unit": str(world.dept.id), "delivery": "email"}).get_data(as_text=True)
    # A and B already have admins; C1 is mailed, C2 gets a letter under its ward.
    assert [m["To"].addresses[0].addr_spec for m in box.messages] == ["c1@example.vn"]
    assert "admin.c2" in page and "Phường Hai" in page and "admin.c1" not in page.split("</ul>", 1)[1]
    letter_path = _link_path(page)
    fresh = app.test_client()
    assert post(fresh, letter_path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    login(app.test_client(), "admin.c2", NEW_PASSWORD)
    created = db.session.execute(select(User).filter_by(username="admin.c2")).scalar_one()
    assert [(a.role, a.org_id) for a in created.roles] == [("admin", c2.id)]
    again = post(client, "/admin/provision", {"unit": str(world.dept.id), "delivery": "letters"})
    assert "setup-link" not in again.get_data(as_text=True), "a second run provisions nothing new"
    assert c1.id


def test_a_school_admin_provisions_nothing_outside_its_school(app, world, client, smtp):
    add_unit(code="C3", name="THCS C3", kind="school", parent=world.ward, levels=["thcs"])
    db.session.commit()
    login(client, "school_admin")
    answer = post(client, "/admin/provision", {"unit": str(world.ward.id), "delivery": "letters"})
    assert answer.status_code == 404
    assert db.session.execute(select(User).filter_by(username="admin.c3")).first() is None


def test_the_provision_command_prints_links_and_writes_letters(app, world, run_cli, tmp_path):
    add_unit(code="C4", name="THCS C4", kind="school", parent=world.ward2, levels=["thcs"])
    db.session.commit()
    letters = tmp_path / "letters.html"
    result = run_cli(["provision-admins", "SGD", "--base-url", "https://khaosat.example.vn",
                      "--letters", str(letters)])
    assert result.exit_code == 0, result.output
    [line] = [l for l in result.output.splitlines() if l.startswith("C4\t")]
    code, username, _email, link = line.split("\t")
    assert username == "admin.c4" and link.startswith("https://khaosat.example.vn/account/link/")
    page = letters.read_text(encoding="utf-8")
    assert link in page and "Phường Hai" in page
    again = run_cli(["provision-admins", "SGD", "--base-url", "https://khaosat.example.vn"])
    assert "C4\t" not in again.output
