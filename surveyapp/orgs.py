"""The organisation tree and its import from CSV or XLSX (all rows or none)."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from flask_babel import gettext as _
from sqlalchemy import select

from .extensions import db
from .models import ORG_KINDS, SCHOOL_LEVELS, OrgUnit

COLUMNS = ("code", "name", "kind", "parent_code", "levels", "facility_type", "enrolment",
           "phone", "counsellor", "email", "reviewer_code")
REQUIRED = ("code", "name", "kind")
MAX_LENGTHS = {"code": 40, "name": 200, "kind": 20, "parent_code": 40, "levels": 100, "facility_type": 40,
               "phone": 200, "counsellor": 200, "email": 200, "reviewer_code": 40}
ENROLMENT = re.compile(r"[0-9]{1,9}")  # ASCII digits only ("²".isdigit() is True), fits an INTEGER


class ImportError_(ValueError):
    """Every problem of an import; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged", created=len(self.created),
                 updated=len(self.updated), unchanged=len(self.unchanged))


def read_rows(path: Path) -> list[dict[str, str]]:
    """Rows as dicts of stripped strings; raises ImportError_ for unreadable files."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            text = path.read_bytes().decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
        elif suffix == ".xlsx":
            rows = _xlsx_rows(path)
        else:
            raise ImportError_([_("%(file)s: use a .csv (UTF-8) or .xlsx file", file=path.name)])
    except UnicodeDecodeError:
        raise ImportError_([_("%(file)s: the CSV file is not UTF-8 encoded", file=path.name)]) from None
    except ImportError_:
        raise
    except Exception as exc:  # a corrupt workbook or CSV: say so, write nothing
        raise ImportError_([_("%(file)s: cannot be read (%(error)s)", file=path.name,
                                error=f"{exc.__class__.__name__}: {exc}")]) from None
    if not rows:
        raise ImportError_([_("%(file)s: the file is empty", file=path.name)])
    header = [str(h or "").strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if missing or unknown:
        problems = [_("%(file)s row 1: missing column '%(column)s'", file=path.name, column=c) for c in missing]
        problems += [_("%(file)s row 1: unknown column '%(column)s' (allowed: %(allowed)s)", file=path.name,
                       column=c, allowed=", ".join(COLUMNS)) for c in unknown]
        raise ImportError_(problems)
    return [{h: ("" if v is None else str(v)).strip() for h, v in zip(header, row) if h}
            for row in rows[1:] if any(str(v or "").strip() for v in row)]


def _xlsx_rows(path: Path) -> list[list[Any]]:
    import zipfile

    from openpyxl import load_workbook

    from .uploads import check_archive
    with zipfile.ZipFile(path) as archive:
        check_archive(archive)  # a workbook that unpacks to gigabytes is refused before parsing
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _check_row(number: int, row: dict[str, str], codes_in_file: set[str], existing: set[str]) -> list[str]:
    where = _("row %(number)s", number=number)
    problems = [_("%(where)s, column '%(column)s': required", where=where, column=c)
                for c in REQUIRED if not row.get(c)]
    if row.get("kind") and row["kind"] not in ORG_KINDS:
        problems.append(_("%(where)s, column 'kind': '%(value)s' is not one of %(allowed)s", where=where,
                          value=row["kind"], allowed=", ".join(ORG_KINDS)))
    levels = [lvl.strip() for lvl in row.get("levels", "").replace(";", ",").split(",") if lvl.strip()]
    for level in levels:
        if level not in SCHOOL_LEVELS:
            problems.append(_("%(where)s, column 'levels': '%(value)s' is not one of %(allowed)s", where=where,
                              value=level, allowed=", ".join(SCHOOL_LEVELS)))
    if row.get("kind") == "school" and not levels:
        problems.append(_("%(where)s, column 'levels': a school needs at least one level", where=where))
    if row.get("enrolment") and not ENROLMENT.fullmatch(row["enrolment"]):
        problems.append(_("%(where)s, column 'enrolment': must be a whole number", where=where))
    problems += _check_sizes(where, row)
    for column in ("parent_code", "reviewer_code"):
        ref = row.get(column)
        if ref and ref not in codes_in_file and ref not in existing:
            problems.append(_("%(where)s, column '%(column)s': unknown unit code '%(code)s' (in neither the "
                              "file nor the organisation tree)", where=where, column=column, code=ref))
    if row.get("kind") == "department" and row.get("parent_code"):
        problems.append(_("%(where)s, column 'parent_code': the department is the root and has no parent",
                          where=where))
    if row.get("kind") in ("unit", "school") and not row.get("parent_code"):
        problems.append(_("%(where)s, column 'parent_code': required for a %(kind)s", where=where,
                          kind=row["kind"]))
    return problems


def _check_sizes(where: str, row: dict[str, str]) -> list[str]:
    """What the database would refuse (too long, NUL bytes) as named problems, not a crash."""
    problems = []
    for column, value in row.items():
        if column in MAX_LENGTHS and len(value) > MAX_LENGTHS[column]:
            problems.append(_("%(where)s, column '%(column)s': at most %(n)s characters", where=where,
                              column=column, n=MAX_LENGTHS[column]))
        if any(ord(ch) < 32 and ch not in "\t" for ch in value):
            problems.append(_("%(where)s, column '%(column)s': contains control characters", where=where,
                              column=column))
    return problems


def import_rows(rows: list[dict[str, str]], actor=None) -> ImportReport:
    """Create or update units by code. Validates everything first; raises ImportError_ on any problem.

    ``actor``: the signed-in admin (the authority policy limits them to their subtree);
    None for the operator at the command line, to whom the tree's structural rules apply."""
    existing = {code for (code,) in db.session.execute(select(OrgUnit.code))}
    codes = [r.get("code", "") for r in rows]
    problems = []
    seen: set[str] = set()
    for number, (row, code) in enumerate(zip(rows, codes), start=2):
        if code in seen:
            problems.append(_("row %(number)s, column 'code': '%(code)s' appears twice in the file",
                              number=number, code=code))
        seen.add(code)
        problems += _check_row(number, row, set(codes), existing)
    problems += _cycles(rows)
    if not problems:
        problems += _authority_problems(rows, actor)
    if problems:
        raise ImportError_(problems)
    try:
        report = _apply(rows)
        _check_acyclic_and_refresh_paths()
        db.session.flush()
    except ImportError_:
        db.session.rollback()
        raise
    return report


def _parents_after(rows: list[dict[str, str]]) -> dict[str, str | None]:
    """Every code's parent code once the file is applied (the database's, overridden by the file)."""
    parent_of = {code: parent for code, parent in db.session.execute(
        select(OrgUnit.code, OrgUnit.parent_id)).all()}
    codes_by_id = dict(db.session.execute(select(OrgUnit.id, OrgUnit.code)).all())
    parent_of = {code: codes_by_id.get(parent_id) for code, parent_id in parent_of.items()}
    parent_of.update({row["code"]: row.get("parent_code") or None for row in rows if row.get("code")})
    return parent_of


def _authority_problems(rows: list[dict[str, str]], actor) -> list[str]:
    """The authority policy on every row: structure for everyone, scope for a signed-in admin."""
    from . import authority
    units = {u.code: u for u in db.session.execute(select(OrgUnit)).scalars()}
    changes = [authority.UnitChange(code=row["code"], kind=row["kind"], parent_code=row.get("parent_code") or None,
                                    reviewer_code=row.get("reviewer_code") or None, unit=units.get(row["code"]))
               for row in rows]
    return authority.tree_change_problems(authority.SYSTEM if actor is None else actor, changes, units,
                                          _parents_after(rows))


def _cycles(rows: list[dict[str, str]]) -> list[str]:
    """Parent links after the import must form a tree."""
    parent_of = _parents_after(rows)
    problems = []
    for number, row in enumerate(rows, start=2):
        if not row.get("code"):
            continue  # reported as a missing code
        seen, node = set(), row["code"]
        while node is not None and node not in seen:
            seen.add(node)
            node = parent_of.get(node)
        if node is not None:
            problems.append(_("row %(number)s, column 'parent_code': '%(code)s' would become its own ancestor",
                              number=number, code=row["code"]))
    return problems


def _apply(rows: list[dict[str, str]]) -> ImportReport:
    report = ImportReport()
    units = {u.code: u for u in db.session.execute(select(OrgUnit)).scalars()}
    for row in rows:
        unit = units.get(row["code"])
        values = {"name": row["name"], "kind": row["kind"],
                  "levels": ",".join(l.strip() for l in row.get("levels", "").replace(";", ",").split(",") if l.strip()),
                  "facility_type": row.get("facility_type") or None,
                  "enrolment": int(row["enrolment"]) if row.get("enrolment") else None}
        contact = {k: row[k] for k in ("phone", "counsellor", "email") if row.get(k)}
        if unit is None:
            unit = OrgUnit(code=row["code"], contact=contact, **values)
            db.session.add(unit)
            units[unit.code] = unit
            report.created.append(unit.code)
            continue
        if values["enrolment"] is None:  # a blank cell keeps the number on record (as contacts do)
            values["enrolment"] = unit.enrolment
        changed = any(getattr(unit, k) != v for k, v in values.items()) or (contact and unit.contact != contact)
        for key, value in values.items():
            setattr(unit, key, value)
        if contact:
            unit.contact = contact
        (report.updated if changed else report.unchanged).append(unit.code)
    db.session.flush()
    for row in rows:
        unit = units[row["code"]]
        parent = units.get(row.get("parent_code") or "")
        if (unit.parent_id or None) != (parent.id if parent else None):
            if unit.code in report.unchanged:
                report.unchanged.remove(unit.code)
                report.updated.append(unit.code)
        unit.parent = parent
        unit.reviewer = units.get(row.get("reviewer_code") or "")
    return report


def _check_acyclic_and_refresh_paths() -> None:
    db.session.flush()
    units = list(db.session.execute(select(OrgUnit)).scalars())
    by_id = {u.id: u for u in units}
    for unit in units:
        chain, node = [], unit
        while node is not None:
            if node.id in chain:
                raise ImportError_([_("unit '%(code)s': its parents form a cycle", code=unit.code)])
            chain.append(node.id)
            node = by_id.get(node.parent_id)
        unit.path = "/" + "/".join(str(i) for i in reversed(chain)) + "/"
        unit.depth = len(chain) - 1


def import_file(path: str | Path, actor=None) -> ImportReport:
    path = Path(path)
    try:
        rows = read_rows(path)
        report = import_rows(rows, actor)
        db.session.commit()
        return report
    except Exception:
        db.session.rollback()
        raise


def subtree(unit: OrgUnit, kind: str | None = None) -> list[OrgUnit]:
    query = select(OrgUnit).where(OrgUnit.path.startswith(unit.path)).order_by(OrgUnit.path)
    if kind:
        query = query.where(OrgUnit.kind == kind)
    return list(db.session.execute(query).scalars())


def add_unit(*, code: str, name: str, kind: str, parent: OrgUnit | None, levels: Iterable[str] = (),
             facility_type: str | None = None, enrolment: int | None = None, contact: dict | None = None) -> OrgUnit:
    unit = OrgUnit(code=code, name=name, kind=kind, levels=",".join(levels), facility_type=facility_type,
                   enrolment=enrolment, contact=contact or {})
    unit.set_parent(parent)
    db.session.add(unit)
    db.session.flush()
    unit.refresh_path()
    return unit
