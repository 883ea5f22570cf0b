"""The notification pages: contacts (who may change whose address) and preferences."""
from __future__ import annotations

from conftest import login, post
from surveyapp.extensions import db
from surveyapp.models import RoleAssignment
from surveyapp.notify import Preference


def test_a_school_admin_sets_addresses_only_of_accounts_wholly_in_the_school(client, world):
    users = world.users
    both = users["viewer"]   # a department viewer who also holds a role at school A
    both.roles.append(RoleAssignment(role="viewer", org=world.school_a))
    both.email = "chuyenvien@so.example.vn"
    db.session.commit()
    login(client, "school_admin")
    page = client.get("/admin/notifications/contacts").get_data(as_text=True)
    assert f'name="user-{users["counsellor"].id}"' in page and f'name="user-{both.id}"' not in page
    post(client, "/admin/notifications/contacts", {f"user-{users['counsellor'].id}": "lan@thcs-a.example.vn",
                                                  f"user-{both.id}": "attacker@example.vn",
                                                  f"unit-{world.ward.id}": "attacker@example.vn"})
    db.session.expire_all()
    assert users["counsellor"].email == "lan@thcs-a.example.vn"
    assert both.email == "chuyenvien@so.example.vn"          # not redirected to the school admin
    assert "safeguarding_email" not in world.ward.contact      # the ward is above the school


def test_a_ward_admin_sets_the_wards_safeguarding_address_and_bad_addresses_are_refused(client, world):
    login(client, "ward_admin")
    post(client, "/admin/notifications/contacts", {f"unit-{world.ward.id}": "baove@phuong1.example.vn"})
    db.session.expire_all()
    assert world.ward.contact["safeguarding_email"] == "baove@phuong1.example.vn"
    assert post(client, "/admin/notifications/contacts", {f"unit-{world.ward.id}": "not an address"}).status_code == 400
    db.session.expire_all()
    assert world.ward.contact["safeguarding_email"] == "baove@phuong1.example.vn"


def test_preferences_are_per_user_and_only_two_modes_exist(client, world):
    login(client, "counsellor")
    assert post(client, "/notifications/preferences", {"mode": "never"}).status_code == 400
    post(client, "/notifications/preferences", {"mode": "digest"})
    db.session.expire_all()
    assert db.session.get(Preference, world.users["counsellor"].id).digest is True
    assert db.session.get(Preference, world.users["school_admin"].id) is None


def test_notify_health_exits_non_zero_on_a_dead_letter_for_monitoring(run_cli, world):
    import json
    from surveyapp import notify
    from surveyapp.notify.worker import deliver_due
    assert run_cli(["notify-health"]).exit_code == 0
    notify.enqueue("export.done", [world.users["school_admin"]], params={"link": "/exports/1"})  # no address
    db.session.commit()
    waiting = run_cli(["notify-health"])
    assert json.loads(waiting.output)["waiting"] == 1 and waiting.exit_code == 0
    deliver_due()
    dead = run_cli(["notify-health"])
    assert json.loads(dead.output) == {"waiting": 0, "oldest_seconds": 0, "dead": 1} and dead.exit_code == 1


def test_create_user_takes_the_notification_address(run_cli, world):
    from surveyapp.models import User
    result = run_cli(["create-user", "baove", "--role", "safeguarding", "--org", "P01", "--email",
                      "baove@phuong1.example.vn", "--password", "long-enough-password"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = db.session.query(User).filter_by(username="baove").one()
    assert user.email == "baove@phuong1.example.vn" and user.roles[0].role == "safeguarding"
