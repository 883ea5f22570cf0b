"""A small demo organisation tree with one account per role."""
from __future__ import annotations

PASSWORD = "correct-horse-battery"


class World:
    """A department with two wards and a school in each (A with classes 6A and 7A, B with 6A),
    and one user per role (``users[...]``, password ``PASSWORD``). Built inside an app context."""

    def __init__(self):
        from surveyapp.accounts import create_user
        from surveyapp.extensions import db
        from surveyapp.models import ClassGroup
        from surveyapp.orgs import add_unit
        self.dept = add_unit(code="SGD", name="Sở GD&ĐT", kind="department", parent=None)
        self.ward = add_unit(code="P01", name="Phường Một", kind="unit", parent=self.dept)
        self.ward2 = add_unit(code="P02", name="Phường Hai", kind="unit", parent=self.dept)
        self.school_a = add_unit(code="A", name="THCS A", kind="school", parent=self.ward, levels=["thcs"],
                                 contact={"phone": "0225 111 222", "counsellor": "Cô Lan"})
        self.school_b = add_unit(code="B", name="THCS B", kind="school", parent=self.ward2, levels=["thcs"])
        self.class_a6 = ClassGroup(school_id=self.school_a.id, grade=6, name="6A", size=30)
        self.class_a7 = ClassGroup(school_id=self.school_a.id, grade=7, name="7A", size=4)
        self.class_b6 = ClassGroup(school_id=self.school_b.id, grade=6, name="6A", size=25)
        db.session.add_all([self.class_a6, self.class_a7, self.class_b6])
        self.users = {
            "dept_admin": create_user("dept_admin", PASSWORD, "admin", self.dept),
            "ward_admin": create_user("ward_admin", PASSWORD, "admin", self.ward),
            "school_admin": create_user("school_admin", PASSWORD, "admin", self.school_a),
            "school_b_admin": create_user("school_b_admin", PASSWORD, "admin", self.school_b),
            "counsellor": create_user("counsellor", PASSWORD, "counsellor", self.school_a),
            "viewer": create_user("viewer", PASSWORD, "viewer", self.dept),
        }
        db.session.commit()
