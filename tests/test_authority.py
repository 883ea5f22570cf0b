"""The authority policy, walked as a table: each actor (role at a level) x action x
target role at a level, plus the attacks seen from outside (self-grant of the counsellor
role, the re-parenting import, the cross-level deactivation, picking one's own reviewer).

Runs on PostgreSQL too (SURVEYAPP_TEST_POSTGRES=1).
"""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from conftest import PASSWORD, login, post
from surveyapp import authority
from surveyapp.accounts import create_user
from surveyapp.extensions import db
from surveyapp.models import AuditEntry, OrgUnit, RoleAssignment, User
from surveyapp.orgs import ImportError_, import_rows

ACTORS = ("dept_admin", "ward_admin", "school_admin", "school_b_admin", "counsellor", "viewer")
LEVELS = ("dept", "ward", "school_a")
ROLES = ("admin", "viewer", "counsellor", "auditor", "safeguarding")

# Expected outcome of granting/removing ROLE at a unit of each LEVEL ("dept ward school_a"),
# per actor: Y allowed, - refused. Case roles (counsellor, auditor) only from strictly
# above the unit, and never from a school.
EXPECTED = {
    ("dept_admin", "admin"): "Y Y Y", ("dept_admin", "viewer"): "Y Y Y",
    ("dept_admin", "counsellor"): "- Y Y", ("dept_admin", "auditor"): "- Y Y",
    ("ward_admin", "admin"): "- Y Y", ("ward_admin", "viewer"): "- Y Y",
    ("ward_admin", "counsellor"): "- - Y", ("ward_admin", "auditor"): "- - Y",
    ("school_admin", "admin"): "- - Y", ("school_admin", "viewer"): "- - Y",
    ("school_admin", "counsellor"): "- - -", ("school_admin", "auditor"): "- - -",
    ("dept_admin", "safeguarding"): "Y Y Y", ("ward_admin", "safeguarding"): "- Y Y",
    ("school_admin", "safeguarding"): "- - -",
}
CASES = [(actor, role, level, EXPECTED.get((actor, role), "- - -").split()[i] == "Y")
         for actor in ACTORS for role in ROLES for i, level in enumerate(LEVELS)]


def _unit(world, level: str) -> OrgUnit:
    return getattr(world, level)


def _account(name: str, role: str, org: OrgUnit) -> User:
    return create_user(name, PASSWORD, role, org)


@pytest.mark.parametrize("actor, role, level, allowed", CASES)
def test_grant_table(world, actor, role, level, allowed):
    """Granting ROLE at LEVEL to a plain account (a viewer at school A)."""
    target = _account("target", "viewer", world.school_a)
    attempt = lambda: authority.check_grant(world.users[actor], target, role, _unit(world, level))  # noqa: E731
    if allowed:
        attempt()
    else:
        with pytest.raises(authority.Refused):
            attempt()


@pytest.mark.parametrize("actor, role, level, allowed", CASES)
def test_revoke_table(world, actor, role, level, allowed):
    target = _account("target", role, _unit(world, level))
    assignment = target.roles[0]
    if allowed:
        authority.check_revoke(world.users[actor], assignment)
    else:
        with pytest.raises(authority.Refused):
            authority.check_revoke(world.users[actor], assignment)


@pytest.mark.parametrize("action", authority.ACCOUNT_ACTIONS)
@pytest.mark.parametrize("actor, role, level, allowed", CASES)
def test_account_action_table(world, actor, role, level, allowed, action):
    """Deactivate, activate or issue a setup link for an account holding ROLE at LEVEL."""
    target = _account("target", role, _unit(world, level))
    if allowed:
        authority.check_account_action(world.users[actor], target, action)
    else:
        with pytest.raises(authority.Refused):
            authority.check_account_action(world.users[actor], target, action)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("role", ROLES)
def test_nobody_changes_their_own_roles_or_account(world, actor, role):
    me = world.users[actor]
    own_unit = me.roles[0].org
    with pytest.raises(authority.Refused):
        authority.check_grant(me, me, role, own_unit)
    with pytest.raises(authority.Refused):
        authority.check_revoke(me, me.roles[0])
    for action in authority.ACCOUNT_ACTIONS:
        with pytest.raises(authority.Refused):
            authority.check_account_action(me, me, action)


@pytest.mark.parametrize("actor, allowed", [("dept_admin", True), ("ward_admin", False),
                                            ("school_admin", False)])
def test_an_account_with_a_role_above_the_actor_is_out_of_reach(world, actor, allowed):
    """A department account that also holds a role at the school: only the department acts on it."""
    both = _account("both", "admin", world.dept)
    both.roles.append(RoleAssignment(role="viewer", org=world.school_a))
    db.session.flush()
    at_school = next(a for a in both.roles if a.org_id == world.school_a.id)
    checks = [lambda: authority.check_account_action(world.users[actor], both, "deactivate"),
              lambda: authority.check_revoke(world.users[actor], at_school),
              lambda: authority.check_grant(world.users[actor], both, "viewer", world.school_a)]
    for check in checks:
        if allowed:
            check()
        else:
            with pytest.raises(authority.Refused):
                check()


# --- the organisation tree ---------------------------------------------------------


def _rows(*lines: str) -> list[dict[str, str]]:
    keys = ("code", "name", "kind", "parent_code", "levels", "reviewer_code")
    return [dict(zip(keys, line.split(","))) for line in lines]


IMPORTS = [
    # (actor, rows, allowed) -- None actor: the operator at the command line
    ("school_admin", ["A,THCS A,department,,,"], False),          # the issue: the school leaves the tree
    (None, ["A,THCS A,department,,,"], False),                    # nobody removes a unit's parent
    ("ward_admin", ["A,THCS A,department,,,"], False),
    ("school_admin", ["A,THCS A,school,P01,thcs,"], True),        # unchanged structure: fine
    ("school_admin", ["A,THCS A,school,P02,thcs,"], False),       # moving its own school
    ("school_admin", ["A,THCS A,unit,P01,,"], False),             # changing its own unit's kind
    ("school_admin", ["A,THCS A,school,P01,thcs,SGD"], False),    # picking its own reviewer
    ("ward_admin", ["A,THCS A,school,P01,thcs,SGD"], True),       # reviewer chosen from above
    ("ward_admin", ["A,THCS A,school,P02,thcs,"], False),         # moved outside the ward
    ("ward_admin", ["W1,Cụm 1,unit,P01,,", "A,THCS A,school,W1,thcs,"], True),  # moved inside the ward
    ("ward_admin", ["P01,Phường Một,unit,P02,,"], False),         # moving its own ward
    ("ward_admin", ["D2,Sở mới,department,,,"], False),          # a new department
    ("ward_admin", ["N1,New school,school,P02,thcs,"], False),    # created outside the ward
    ("ward_admin", ["N1,New school,school,P01,thcs,"], True),
    ("dept_admin", ["A,THCS A,school,P02,thcs,"], True),          # the department re-parents
    ("dept_admin", ["A,THCS A,school,P01,thcs,B"], False),        # a school is no reviewer
    ("dept_admin", ["A,THCS A,school,P01,thcs,P02"], False),      # a reviewer is above the unit
    ("dept_admin", ["SGD,Sở GD&ĐT,department,,,", "D2,Sở mới,department,,,"], False),
    (None, ["D2,Sở mới,department,,,"], True),                    # the operator may start a tree
]


@pytest.mark.parametrize("actor, lines, allowed", IMPORTS)
def test_import_table(world, actor, lines, allowed):
    before = sorted(db.session.execute(select(OrgUnit.code, OrgUnit.kind, OrgUnit.path, OrgUnit.reviewer_id)).all())
    user = world.users[actor] if actor else None
    if allowed:
        import_rows(_rows(*lines), actor=user)
        db.session.rollback()
        return
    with pytest.raises(ImportError_):
        import_rows(_rows(*lines), actor=user)
    db.session.rollback()
    after = sorted(db.session.execute(select(OrgUnit.code, OrgUnit.kind, OrgUnit.path, OrgUnit.reviewer_id)).all())
    assert after == before


@pytest.mark.parametrize("actor, reviewer, allowed", [
    ("school_admin", "ward", False), ("school_admin", "dept", False),   # its own reviewer
    ("ward_admin", "dept", True), ("ward_admin", "ward", True), ("dept_admin", "dept", True),
    ("dept_admin", "school_b", False), ("ward_admin", "ward2", False),   # not above the school
])
def test_reviewer_table(world, actor, reviewer, allowed):
    check = lambda: authority.check_reviewer(world.users[actor], world.school_a, getattr(world, reviewer))  # noqa
    if allowed:
        check()
    else:
        with pytest.raises(authority.Refused):
            check()


def test_an_invalid_stored_reviewer_is_ignored(world):
    world.school_a.reviewer = world.school_b
    assert authority.effective_reviewer(world.school_a) == world.ward
    world.school_a.reviewer = world.dept
    assert authority.effective_reviewer(world.school_a) == world.dept


# --- the attacks, through the web --------------------------------------------------


def _edit_user(client, user_id: int, **data):
    return post(client, f"/admin/users/{user_id}", data)


def test_school_admin_cannot_give_themself_the_counsellor_role(client, world):
    me = world.users["school_admin"]
    login(client, "school_admin")
    answer = _edit_user(client, me.id, **{"action": "add", "role-role": "counsellor",
                                          "role-org": str(world.school_a.id)})
    assert answer.status_code == 403
    db.session.expire_all()
    assert [a.role for a in db.session.get(User, me.id).roles] == ["admin"]
    other = _account("teacher", "viewer", world.school_a)
    db.session.commit()
    answer = _edit_user(client, other.id, **{"action": "add", "role-role": "counsellor",
                                             "role-org": str(world.school_a.id)})
    assert answer.status_code == 403   # nor to a colleague: the key comes from above the school


def test_ward_admin_grants_the_counsellor_role_audited_and_shown_to_counsellors(app, world):
    teacher = _account("teacher", "viewer", world.school_a)
    db.session.commit()
    ward = app.test_client()
    login(ward, "ward_admin")
    answer = _edit_user(ward, teacher.id, **{"action": "add", "role-role": "counsellor",
                                             "role-org": str(world.school_a.id)})
    assert answer.status_code == 302
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.role_add")).scalar_one()
    assert entry.detail["role"] == "counsellor" and entry.detail["case_records"] is True
    assert entry.user_id == world.users["ward_admin"].id
    counsellor = app.test_client()
    login(counsellor, "counsellor")
    home = counsellor.get("/").get_data(as_text=True)
    assert "teacher" in home and "ward_admin" in home   # who holds the key, granted by whom


def test_school_admin_cannot_deactivate_a_department_account_with_a_school_role(client, world):
    dept = world.users["dept_admin"]
    dept.roles.append(RoleAssignment(role="viewer", org=world.school_a))
    db.session.commit()
    login(client, "school_admin")
    assert _edit_user(client, dept.id, action="deactivate").status_code == 403
    db.session.expire_all()
    assert db.session.get(User, dept.id).active


def test_school_admin_cannot_pick_its_own_reviewer(client, world):
    login(client, "school_admin")
    post(client, f"/admin/orgs/{world.school_a.id}", {"name": "THCS A", "levels": "thcs",
                                                     "reviewer": str(world.dept.id)})
    db.session.expire_all()
    assert db.session.get(OrgUnit, world.school_a.id).reviewer_id is None


def test_the_reparenting_import_is_refused_and_the_tree_kept(client, world):
    login(client, "school_admin")
    upload = io.BytesIO("code,name,kind\nA,THCS A,department\n".encode())
    answer = post(client, "/admin/orgs/import", {"imp-file": (upload, "orgs.csv")},
                  content_type="multipart/form-data")
    assert answer.status_code == 422
    db.session.expire_all()
    school = db.session.get(OrgUnit, world.school_a.id)
    assert school.kind == "school" and school.parent_id == world.ward.id


def test_a_reimport_with_a_blank_enrolment_keeps_the_number(world):
    world.school_a.enrolment = 640
    db.session.commit()
    import_rows(_rows("A,THCS A,school,P01,thcs,"), actor=world.users["school_admin"])
    assert world.school_a.enrolment == 640
