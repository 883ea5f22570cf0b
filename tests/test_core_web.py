"""Sign-in, CSRF, roles and organisation scopes, web administration, campaigns."""
from __future__ import annotations

from sqlalchemy import select

from conftest import PASSWORD, csrf_token, login, post
from surveyapp.extensions import db
from surveyapp.models import AuditEntry, Campaign, OrgUnit, User


def test_login_logout_and_wrong_password(client, world):
    bad = client.post("/login", data={"csrf_token": csrf_token(client), "username": "school_admin", "password": "nope"})
    assert bad.status_code == 200 and "Tên đăng nhập hoặc mật khẩu không đúng." in bad.get_data(as_text=True)
    assert client.get("/admin/orgs").status_code == 302  # still anonymous: sent to login
    login(client, "school_admin")
    assert client.get("/admin/orgs").status_code == 200
    post(client, "/logout")
    assert client.get("/admin/orgs").status_code == 302


def test_passwords_are_hashed(world):
    user = db.session.execute(select(User).filter_by(username="viewer")).scalar_one()
    assert PASSWORD not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_login_rate_limited_per_account_not_per_address(client, world):
    for _ in range(10):
        client.post("/login", data={"csrf_token": csrf_token(client), "username": "viewer", "password": "wrong"})
    blocked = client.post("/login", data={"csrf_token": csrf_token(client), "username": "viewer", "password": PASSWORD})
    assert blocked.status_code == 429
    other = client.application.test_client()   # same address, another account: not blocked
    login(other, "school_admin")


def test_post_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"username": "viewer", "password": PASSWORD})
    assert response.status_code == 400
    login(client, "dept_admin")
    refused = client.post("/admin/orgs", data={"unit-parent": world.dept.id, "unit-code": "X", "unit-name": "X",
                                               "unit-kind": "school"})
    assert refused.status_code == 400
    assert db.session.execute(select(OrgUnit).filter_by(code="X")).first() is None


def test_viewer_cannot_administer(client, world):
    login(client, "viewer")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/campaigns/new").status_code == 403


def test_admin_sees_only_their_subtree(client, world):
    login(client, "ward_admin")
    page = client.get("/admin/orgs").get_data(as_text=True)
    assert "THCS A" in page and "THCS B" not in page
    assert client.get(f"/admin/orgs/{world.school_b.id}").status_code == 404
    assert client.get(f"/admin/orgs/{world.school_a.id}").status_code == 200


def test_admin_adds_unit_and_user_within_scope(client, world):
    login(client, "ward_admin")
    added = post(client, "/admin/orgs", {"unit-csrf_token": csrf_token(client), "unit-parent": world.ward.id,
                                          "unit-code": "C", "unit-name": "Tiểu học C", "unit-kind": "school",
                                          "unit-levels": "tieu_hoc"})
    assert added.status_code == 302
    db.session.expire_all()
    school_c = db.session.execute(select(OrgUnit).filter_by(code="C")).scalar_one()
    assert school_c.path == f"{world.ward.path}{school_c.id}/"
    outside = post(client, "/admin/orgs", {"unit-csrf_token": csrf_token(client), "unit-parent": world.ward2.id,
                                            "unit-code": "D", "unit-name": "D", "unit-kind": "school"})
    assert outside.status_code in (200, 404) and db.session.execute(select(OrgUnit).filter_by(code="D")).first() is None
    made = post(client, "/admin/users", {"user-csrf_token": csrf_token(client), "user-username": "teacher_c",
                                          "user-password": "long-enough-pw", "user-role": "viewer",
                                          "user-org": school_c.id})
    assert made.status_code == 302
    assert db.session.execute(select(User).filter_by(username="teacher_c")).scalar_one().roles[0].org_id == school_c.id
    actions = {e.action for e in db.session.execute(select(AuditEntry)).scalars()}
    assert {"org.create", "user.create"} <= actions


def test_admin_manages_roles_and_deactivates(client, world):
    login(client, "ward_admin")
    target = world.users["counsellor"]
    page = client.get(f"/admin/users/{target.id}")
    assert page.status_code == 200
    token = csrf_token(client)
    post(client, f"/admin/users/{target.id}", {"role-csrf_token": token, "action": "add", "role-role": "viewer",
                                               "role-org": world.school_a.id})
    post(client, f"/admin/users/{target.id}", {"action": "deactivate"})
    db.session.expire_all()
    user = db.session.get(User, target.id)
    assert {a.role for a in user.roles} == {"counsellor", "viewer"} and not user.active
    assert client.get(f"/admin/users/{world.users['school_b_admin'].id}").status_code == 404
    other = client.application.test_client()
    refused = other.post("/login", data={"csrf_token": csrf_token(other), "username": "counsellor",
                                         "password": PASSWORD})
    assert refused.status_code == 200  # inactive: not signed in


def test_campaign_lifecycle_and_scope(client, world):
    login(client, "dept_admin")
    created = post(client, "/campaigns/new", {"name": "Khảo sát", "questionnaire": "school_dialogue.dialogue",
                                              "scope": [world.ward.id], "opens_on": "2026-01-01",
                                              "closes_on": "2030-12-31", "grades": "6, 7"})
    assert created.status_code == 302, created.get_data(as_text=True)[:400]
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert (campaign.status, campaign.grade_list, campaign.module) == ("draft", [6, 7], "school_dialogue")
    assert post(client, f"/campaigns/{campaign.id}/status", {"status": "open"}).status_code == 302
    codes = client.get(f"/campaigns/{campaign.id}/codes").get_data(as_text=True)
    assert codes.count("<svg") == 2 and "6A" in codes and "7A" in codes   # school A only: ward scope
    school_b_admin = client.application.test_client()
    login(school_b_admin, "school_b_admin")
    assert school_b_admin.get(f"/campaigns/{campaign.id}").status_code == 404
    school_a_admin = client.application.test_client()
    login(school_a_admin, "school_admin")
    assert school_a_admin.get(f"/campaigns/{campaign.id}").status_code == 200
    assert post(school_a_admin, f"/campaigns/{campaign.id}/status", {"status": "closed"}).status_code == 404
    assert post(client, f"/campaigns/{campaign.id}/status", {"status": "closed"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == "closed"


def test_campaign_form_rejects_bad_window_and_keeps_input(client, world):
    login(client, "dept_admin")
    page = post(client, "/campaigns/new", {"name": "Sai ngày", "questionnaire": "mental_health.phq8",
                                           "scope": [world.dept.id], "opens_on": "2026-05-01",
                                           "closes_on": "2026-04-01"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="Sai ngày"' in body
    assert db.session.execute(select(Campaign)).first() is None


def test_withheld_instrument_cannot_be_chosen(client, world):
    login(client, "dept_admin")
    form = client.get("/campaigns/new").get_data(as_text=True)
    assert "mental_health.sdq" not in form and "mental_health.phq8" in form


def test_security_headers_and_cookie_flags(client, world):
    response = client.get("/s")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
