"""Administration within the user's scope: organisation units and users with roles."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .. import accounts, audit, authority
from ..access import ADMIN, in_scope, require_role, units_in_scope
from ..extensions import db
from ..models import ORG_KINDS, ROLES, OrgUnit, RoleAssignment, User
from ..orgs import ImportError_, add_unit, import_rows, read_rows, subtree

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UnitForm(FlaskForm):
    parent = SelectField(coerce=int, validators=[DataRequired()])
    code = StringField(validators=[DataRequired(), Length(max=40), Regexp(r"^[A-Za-z0-9_.-]+$")])
    name = StringField(validators=[DataRequired(), Length(max=200)])
    kind = SelectField(choices=[(k, k) for k in ORG_KINDS if k != "department"])
    levels = StringField(validators=[Optional(), Length(max=100)])
    enrolment = IntegerField(validators=[Optional()])


class UserForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(min=3, max=80), Regexp(r"^[a-z0-9_.-]+$")])
    full_name = StringField(validators=[Optional(), Length(max=200)])
    password = PasswordField(validators=[DataRequired(), Length(min=10, max=200)])
    role = SelectField(choices=[(r, r) for r in ROLES])
    org = SelectField(coerce=int)


class ImportForm(FlaskForm):
    file = FileField()


def _label(form: FlaskForm, labels: dict[str, str]) -> FlaskForm:
    for name, text in labels.items():
        form[name].label.text = text
    return form


@bp.route("/orgs", methods=["GET", "POST"])
@require_role(ADMIN)
def orgs():
    units = units_in_scope(current_user, ADMIN)
    form = _label(UnitForm(prefix="unit"), {"parent": _("Parent unit"), "code": _("Code"), "name": _("Name"),
                                            "kind": _("Kind"), "levels": _("Levels (comma-separated)"),
                                            "enrolment": _("Enrolment")})
    form.parent.choices = [(u.id, ("· " * u.depth) + u.name) for u in units if u.kind != "school"]
    if form.validate_on_submit():
        parent = db.session.get(OrgUnit, form.parent.data)
        if not in_scope(current_user, parent, ADMIN):
            abort(404)
        if not authority.may_create_unit(current_user, parent, form.kind.data):
            abort(403)
        if db.session.execute(select(OrgUnit.id).filter_by(code=form.code.data)).first():
            form.code.errors.append(_("This code is already used."))
        else:
            unit = add_unit(code=form.code.data, name=form.name.data, kind=form.kind.data, parent=parent,
                            levels=[lvl.strip() for lvl in (form.levels.data or "").split(",") if lvl.strip()],
                            enrolment=form.enrolment.data)
            audit.record("org.create", unit, org_id=parent.id)
            db.session.commit()
            flash(_("Unit added."), "info")
            return redirect(url_for(".orgs"))
    return render_template("admin/orgs.html", units=units, form=form, import_form=ImportForm(prefix="imp"))


@bp.route("/orgs/import", methods=["POST"])
@require_role(ADMIN)
def import_orgs():
    form = ImportForm(prefix="imp")
    upload = form.file.data if form.validate_on_submit() else None
    if not upload or not upload.filename:
        flash(_("Choose a CSV or XLSX file."), "error")
        return redirect(url_for(".orgs"))
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        flash(_("Use a .csv (UTF-8) or .xlsx file."), "error")
        return redirect(url_for(".orgs"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        upload.save(path)
        try:
            rows = read_rows(path)
            report = import_rows(rows, actor=current_user)
        except ImportError_ as exc:
            db.session.rollback()
            return render_template("admin/import_result.html", problems=exc.problems, report=None), 422
    audit.record("org.import", object_type="OrgUnit", created=len(report.created), updated=len(report.updated))
    db.session.commit()
    return render_template("admin/import_result.html", problems=[], report=report)


@bp.route("/users", methods=["GET", "POST"])
@require_role(ADMIN)
def users():
    units = units_in_scope(current_user, ADMIN)
    form = _label(UserForm(prefix="user"), {"username": _("Username"), "full_name": _("Full name"),
                                            "password": _("Password (at least 10 characters)"),
                                            "role": _("Role"), "org": _("Unit")})
    form.org.choices = [(u.id, ("· " * u.depth) + u.name) for u in units]
    if form.validate_on_submit():
        org = db.session.get(OrgUnit, form.org.data)
        if not in_scope(current_user, org, ADMIN):
            abort(404)
        if db.session.execute(select(User.id).filter_by(username=form.username.data)).first():
            form.username.errors.append(_("This username is taken."))
        else:
            try:
                user = accounts.create_user(form.username.data, form.password.data, form.role.data, org,
                                            form.full_name.data, actor=current_user)
            except authority.Refused as refused:
                form.role.errors.append(refused.reason)
            except ValueError as problem:
                form.password.errors.append(str(problem))
            else:
                audit.record("user.create", user, org_id=org.id, role=form.role.data)
                db.session.commit()
                flash(_("User created."), "info")
                return redirect(url_for(".users"))
    assignments = db.session.execute(
        select(RoleAssignment).join(OrgUnit, RoleAssignment.org_id == OrgUnit.id)
        .where(OrgUnit.id.in_([u.id for u in units])).order_by(OrgUnit.path)).scalars().all()
    return render_template("admin/users.html", assignments=assignments, form=form)



class EditUnitForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=200)])
    levels = StringField(validators=[Optional(), Length(max=100)])
    facility_type = StringField(validators=[Optional(), Length(max=40)])
    enrolment = IntegerField(validators=[Optional()])
    phone = StringField(validators=[Optional(), Length(max=40)])
    counsellor = StringField(validators=[Optional(), Length(max=200)])
    reviewer = SelectField(coerce=int)


@bp.route("/orgs/<int:unit_id>", methods=["GET", "POST"])
@require_role(ADMIN)
def edit_org(unit_id: int):
    unit = db.session.get(OrgUnit, unit_id)
    if not in_scope(current_user, unit, ADMIN):
        abort(404)
    form = _label(EditUnitForm(obj=unit, phone=unit.contact.get("phone"), counsellor=unit.contact.get("counsellor"),
                               reviewer=unit.reviewer_id or 0),
                  {"name": _("Name"), "levels": _("Levels (comma-separated)"), "facility_type": _("Facility type"),
                   "enrolment": _("Enrolment"), "phone": _("Phone"), "counsellor": _("Counsellor contact"),
                   "reviewer": _("Reviewed by")})
    ancestors = [u for u in db.session.execute(select(OrgUnit).where(OrgUnit.kind != "school")).scalars()
                 if unit.path.startswith(u.path) and u.id != unit.id]
    form.reviewer.choices = [(0, _("(the parent unit)"))] + [(u.id, u.name) for u in ancestors]
    if form.validate_on_submit() and _reviewer_allowed(form, unit):
        unit.name, unit.enrolment = form.name.data, form.enrolment.data
        unit.levels = ",".join(lvl.strip() for lvl in (form.levels.data or "").split(",") if lvl.strip())
        unit.facility_type = form.facility_type.data or None
        kept = {k: v for k, v in unit.contact.items() if k not in ("phone", "counsellor")}  # e.g. safeguarding_email
        unit.contact = kept | {k: v for k, v in {"phone": form.phone.data, "counsellor": form.counsellor.data}.items() if v}
        unit.reviewer_id = form.reviewer.data or None
        audit.record("org.update", unit, org_id=unit.id)
        db.session.commit()
        flash(_("Unit saved."), "info")
        return redirect(url_for(".orgs"))
    return render_template("admin/edit_org.html", unit=unit, form=form)


def _reviewer_allowed(form: EditUnitForm, unit: OrgUnit) -> bool:
    if form.reviewer.data == (unit.reviewer_id or 0):
        return True
    try:
        authority.check_reviewer(current_user, unit, db.session.get(OrgUnit, form.reviewer.data or 0))
    except authority.Refused as refused:
        form.reviewer.errors.append(refused.reason)
        return False
    return True


class RoleForm(FlaskForm):
    role = SelectField(choices=[(r, r) for r in ROLES])
    org = SelectField(coerce=int)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_role(ADMIN)
def edit_user(user_id: int):
    """Add or remove a user's roles and (de)activate the account, within the admin's scope."""
    user = db.session.get(User, user_id)
    if user is None or not any(in_scope(current_user, a.org, ADMIN) for a in user.roles):
        abort(404)
    form = _label(RoleForm(prefix="role"), {"role": _("Role"), "org": _("Unit")})
    form.org.choices = [(u.id, ("· " * u.depth) + u.name) for u in units_in_scope(current_user, ADMIN)]
    action = request.form.get("action")
    try:
        if action == "add" and form.validate_on_submit():
            accounts.grant_role(current_user, user, form.role.data, _unit_in_scope(form.org.data))
        elif action == "remove" and FlaskForm().validate_on_submit():
            accounts.revoke_role(current_user, _assignment_of(user))
        elif action in ("activate", "deactivate") and FlaskForm().validate_on_submit():
            accounts.set_active(current_user, user, action == "activate")
        elif action == "setup_link" and FlaskForm().validate_on_submit():
            token = accounts.issue_link(user, "setup", actor=current_user)
            db.session.commit()
            return render_template("admin/setup_link.html", user=user,
                                   link=url_for("account.link", token=token, _external=True))
    except authority.Refused as refused:
        db.session.rollback()
        flash(refused.reason, "error")
        return render_template("admin/edit_user.html", user=user, form=form, plain=FlaskForm()), 403
    if request.method == "POST":
        db.session.commit()
        return redirect(url_for(".edit_user", user_id=user.id))
    return render_template("admin/edit_user.html", user=user, form=form, plain=FlaskForm(),
                           may_manage=authority.may_manage_account(current_user, user))


def _unit_in_scope(unit_id: int) -> OrgUnit:
    org = db.session.get(OrgUnit, unit_id)
    if not in_scope(current_user, org, ADMIN):
        abort(404)
    return org


def _assignment_of(user: User) -> RoleAssignment:
    assignment = db.session.get(RoleAssignment, request.form.get("assignment", type=int) or 0)
    if assignment is None or assignment.user_id != user.id or not in_scope(current_user, assignment.org, ADMIN):
        abort(404)
    return assignment


@bp.route("/provision", methods=["GET", "POST"])
@require_role(ADMIN)
def provision():
    """One school-admin account per school of a unit, each with a one-time setup link:
    printed as letters grouped by ward, or e-mailed where the organisation file gave an address."""
    units = [u for u in units_in_scope(current_user, ADMIN) if u.kind != "school"]
    if request.method == "GET" or not FlaskForm().validate_on_submit():
        return render_template("admin/provision.html", units=units, plain=FlaskForm())
    unit = _unit_in_scope(request.form.get("unit", type=int) or 0)
    schools = [s for s in subtree(unit, kind="school")]
    try:
        made = accounts.provision_school_admins(current_user, schools)
    except authority.Refused as refused:
        db.session.rollback()
        flash(refused.reason, "error")
        return redirect(url_for(".provision"))
    db.session.commit()
    by_email = request.form.get("delivery") == "email"
    letters, sent = [], []
    for school, user, token in made:
        link = url_for("account.link", token=token, _external=True)
        if by_email and user.email and _mail_setup_link(user, school, link):
            sent.append(user)
        else:
            letters.append((school, user, link))
    wards: dict = {}
    for school, user, link in letters:
        wards.setdefault(school.parent, []).append((school, user, link))
    return render_template("admin/provision_letters.html", wards=wards, sent=sent, unit=unit)


def _mail_setup_link(user: User, school: OrgUnit, link: str) -> bool:
    from ..mail import MailError
    body = _("An account was created for the administration of %(school)s: %(user)s.\n\nOpen this link to set "
             "its password (it works once, for 14 days):\n%(link)s", school=school.name, user=user.username,
             link=link)
    try:
        accounts.send_account_mail(user, _("Your school administration account"), body)
    except MailError:
        return False
    return True
