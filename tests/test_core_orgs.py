"""Organisation import: every row validated, all or nothing, a report of what changed."""
from __future__ import annotations

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import OrgUnit
from surveyapp.orgs import ImportError_, import_file

HEADER = "code,name,kind,parent_code,levels,facility_type,enrolment,phone,counsellor,email,reviewer_code\n"
GOOD = HEADER + (
    "SGD,Sở GD&ĐT Hải Phòng,department,,,,,,,,\n"
    "P01,Phường Hồng Bàng,unit,SGD,,,,,,,\n"
    "P01-MN,Mầm non Hoa Sen,school,P01,mam_non,truong_mam_non,220,0225 1,,,P01\n"
    "THPT1,THPT Trần Phú,school,SGD,thpt,,1200,,Cô Hoa,,\n"
)


def write(tmp_path, text, name="orgs.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count():
    return db.session.execute(select(func.count(OrgUnit.id))).scalar()


def test_import_creates_tree_with_paths_and_reviewer(ctx, tmp_path):
    report = import_file(write(tmp_path, GOOD))
    assert len(report.created) == 4 and not report.updated
    units = {u.code: u for u in db.session.execute(select(OrgUnit)).scalars()}
    assert units["P01-MN"].path == f"/{units['SGD'].id}/{units['P01'].id}/{units['P01-MN'].id}/"
    assert units["P01-MN"].depth == 2 and units["THPT1"].depth == 1      # the depth is not fixed
    assert units["P01-MN"].reviewer_id == units["P01"].id
    assert units["THPT1"].contact == {"counsellor": "Cô Hoa"} and units["P01-MN"].enrolment == 220


def test_reimport_reports_updates_and_moves(ctx, tmp_path):
    import_file(write(tmp_path, GOOD))
    changed = GOOD.replace("THPT Trần Phú,school,SGD", "THPT Trần Phú (mới),school,P01")
    report = import_file(write(tmp_path, changed))
    assert report.updated == ["THPT1"] and len(report.unchanged) == 3
    moved = db.session.execute(select(OrgUnit).filter_by(code="THPT1")).scalar_one()
    parent = db.session.execute(select(OrgUnit).filter_by(code="P01")).scalar_one()
    assert moved.path.startswith(parent.path) and moved.name == "THPT Trần Phú (mới)"


@pytest.mark.parametrize("row, message", [
    ("X1,Trường X,school,NOPE,thcs,,,,,,", "row 6, column 'parent_code': unknown unit code 'NOPE'"),
    ("X1,Trường X,school,SGD,daihoc,,,,,,", "row 6, column 'levels': 'daihoc'"),
    ("X1,Trường X,castle,SGD,thcs,,,,,,", "row 6, column 'kind'"),
    ("X1,,school,SGD,thcs,,,,,,", "row 6, column 'name': required"),
    ("X1,Trường X,school,SGD,thcs,,nhiều,,,,", "row 6, column 'enrolment'"),
    ("P01,Trùng mã,unit,SGD,,,,,,,", "row 6, column 'code': 'P01' appears twice"),
])
def test_a_bad_row_names_row_and_column_and_writes_nothing(ctx, english, tmp_path, row, message):
    with pytest.raises(ImportError_) as info:
        import_file(write(tmp_path, GOOD + row + "\n"))
    assert any(message in problem for problem in info.value.problems), info.value.problems
    assert count() == 0


def test_cycle_is_refused_and_rolled_back(ctx, tmp_path):
    import_file(write(tmp_path, GOOD))
    before = {u.code: u.path for u in db.session.execute(select(OrgUnit)).scalars()}
    cyclic = HEADER + "P01,Phường,unit,P02,,,,,,,\nP02,Phường 2,unit,P01,,,,,,,\n"
    with pytest.raises(ImportError_):
        import_file(write(tmp_path, cyclic))
    db.session.expire_all()
    assert {u.code: u.path for u in db.session.execute(select(OrgUnit)).scalars()} == before


def test_xlsx_and_unknown_columns(ctx, english, tmp_path):
    book = Workbook()
    sheet = book.active
    for line in GOOD.strip().splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "orgs.xlsx"
    book.save(path)
    assert len(import_file(path).created) == 4
    with pytest.raises(ImportError_, match="unknown column 'colour'"):
        import_file(write(tmp_path, "code,name,kind,colour\nA,B,school,red\n"))
    with pytest.raises(ImportError_, match="not UTF-8"):
        bad = tmp_path / "latin.csv"
        bad.write_bytes(GOOD.encode("cp1258", errors="replace").replace(b"S\xe1", b"S\xff"))
        import_file(bad)
    with pytest.raises(ImportError_, match="cannot be read"):
        import_file(write(tmp_path, "not a workbook", name="broken.xlsx"))


def test_import_orgs_command(run_cli, tmp_path):
    result = run_cli(["import-orgs", str(write(tmp_path, GOOD))])
    assert result.exit_code == 0 and "tạo mới 4, cập nhật 0, giữ nguyên 0" in result.output
    failed = run_cli(["import-orgs", str(write(tmp_path, GOOD + "Z,Z,school,NOPE,thcs,,,,,,\n", "bad.csv"))])
    assert failed.exit_code != 0 and "mã đơn vị 'NOPE' không có trong tệp lẫn trong cây tổ chức" in failed.output


def test_import_messages_are_in_the_users_language_and_an_unknown_parent_is_named_as_such(client, world,
                                                                                         tmp_path):
    """A ward admin's file naming a parent that exists nowhere: told so in Vietnamese, not
    "outside your scope" and not in English."""
    import io
    from conftest import login, post
    login(client, "ward_admin")
    data = (HEADER + "X9,Trường X,school,NOPE,thcs,,,,,,\n").encode("utf-8")
    page = post(client, "/admin/orgs/import", {"imp-file": (io.BytesIO(data), "units.csv")},
                content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "dòng 2, cột &#39;parent_code&#39;: mã đơn vị &#39;NOPE&#39; không có" in html
    assert "scope" not in html and "phạm vi" not in html and "unknown unit code" not in html
