"""The organisation import under random input: a report or an ImportError_ naming the
problems, never another exception, and after a refusal not one row changed."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import OrgUnit
from surveyapp.orgs import COLUMNS, ImportError_, import_rows, read_rows

FUZZ = settings(max_examples=80, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
EXISTING = ["SGD", "P01", "P02", "A", "B"]
VALUE = (st.sampled_from(EXISTING + ["school", "unit", "department", "thcs", "mam_non,thpt", "12", "", "X1"])
         | st.text(max_size=60) | st.text(alphabet="0123456789²٣", max_size=14) | st.just("x" * 300)
         | st.just("bad\x00byte"))
ROW = st.dictionaries(st.sampled_from(list(COLUMNS) + ["junk"]), VALUE, max_size=8)


def snapshot():
    return sorted(db.session.execute(select(OrgUnit.code, OrgUnit.name, OrgUnit.kind, OrgUnit.parent_id,
                                            OrgUnit.path, OrgUnit.levels, OrgUnit.enrolment)).all())


def attempt(rows):
    """Import, check the outcome, and leave the database as it was for the next example."""
    before = snapshot()
    try:
        report = import_rows(rows)
    except ImportError_ as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        assert snapshot() == before, "a refused import changed rows"
        return None
    db.session.flush()  # what the caller's commit would send: must not fail either
    assert len(report.created) + len(report.updated) + len(report.unchanged) == len(rows)
    db.session.rollback()
    return report


@FUZZ
@given(st.lists(ROW, max_size=6))
def test_random_rows(world, rows):
    attempt(rows)


@FUZZ
@given(st.lists(st.tuples(st.text(alphabet="ABCP0123", min_size=1, max_size=3),
                          st.sampled_from(EXISTING + ["", "Q1", "Q2"]),
                          st.sampled_from(["unit", "school"])), max_size=6))
def test_random_trees_with_cycles_and_dangling_parents(world, triples):
    rows = [{"code": code, "name": f"Unit {code}", "kind": kind, "parent_code": parent,
             "levels": "thcs" if kind == "school" else ""} for code, parent, kind in triples]
    attempt(rows)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from([".csv", ".xlsx"]))
def test_random_files(world, tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"units{suffix}"
    path.write_bytes(content)
    try:
        rows = read_rows(path)
    except ImportError_:
        return
    attempt(rows)


@FUZZ
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(-10, 10**12), st.floats(allow_nan=True),
                                   st.booleans(), VALUE), max_size=6), max_size=5))
def test_random_workbooks_with_a_valid_header(world, tmp_path_factory, cells):
    book = Workbook()
    sheet = book.active
    sheet.append(list(COLUMNS))
    for row in cells:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    path = tmp_path_factory.mktemp("fuzz") / "units.xlsx"
    book.save(path)
    try:
        rows = read_rows(path)
    except ImportError_:
        return
    attempt(rows)


def test_a_valid_import_still_works(world):
    text = "code,name,kind,parent_code,levels,enrolment\nC1,THCS C,school,P01,thcs,320\n"
    rows = list(csv.DictReader(io.StringIO(text)))
    report = import_rows(rows)
    assert report.created == ["C1"]
    db.session.rollback()


@pytest.mark.parametrize("row, column", [
    ({"code": "C" * 41, "name": "n", "kind": "unit", "parent_code": "SGD"}, "code"),
    ({"code": "C2", "name": "n" * 201, "kind": "unit", "parent_code": "SGD"}, "name"),
    ({"code": "C3", "name": "n", "kind": "school", "parent_code": "P01", "levels": "thcs", "enrolment": "²"},
     "enrolment"),
    ({"code": "C4", "name": "n", "kind": "school", "parent_code": "P01", "levels": "thcs",
      "enrolment": "99999999999"}, "enrolment"),
    ({"code": "C5", "name": "bad\x00byte", "kind": "unit", "parent_code": "SGD"}, "name"),
])
def test_values_the_database_would_reject_are_named_problems(world, row, column):
    with pytest.raises(ImportError_) as refused:
        import_rows([row])
    assert any(f"'{column}'" in problem for problem in refused.value.problems), refused.value.problems
