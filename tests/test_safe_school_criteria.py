"""`surveyapp criteria template` / `import`: a new version of a stored set, validated row by row."""
from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import login, post
from surveyapp.campaigns import create_campaign, set_status
from surveyapp.extensions import db
from surveyapp.models import Campaign, QuestionnaireVersion
from surveyapp.storage import definition_for, latest_version

TT18 = "safe_school.tt18_2023"


@pytest.fixture
def template(run_cli, tmp_path, ctx):
    path = tmp_path / "tt18.xlsx"
    result = run_cli(["criteria", "template", "-o", str(path), "--set", TT18])
    assert result.exit_code == 0, result.output
    return path


def rewrite(path, change):
    """Edit the template's criteria sheet in place with ``change(rows)`` (a list of lists)."""
    book = load_workbook(path)
    sheet = book["criteria"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    rows = change(rows) or rows
    sheet.delete_rows(1, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(path)


def versions():
    db.session.expire_all()
    return db.session.execute(select(QuestionnaireVersion).filter_by(qid=TT18)
                              .order_by(QuestionnaireVersion.seq)).scalars().all()


def test_template_documents_and_round_trips(run_cli, template):
    book = load_workbook(template)
    assert book.sheetnames == ["criteria", "README"]
    rows = list(book["criteria"].iter_rows(values_only=True))
    assert rows[0][:5] == ("group_id", "group_title_vi", "group_title_en", "group_source", "code")
    assert len(rows) == 51 and sum(1 for r in rows[1:] if r[8] == "1") == 25
    result = run_cli(["criteria", "import", str(template), "--set", TT18, "--version", "2026-official"])
    assert result.exit_code == 0, result.output
    stored = versions()
    assert [v.label for v in stored] == ["0.1-draft", "2026-official"]
    new = definition_for(stored[-1])
    old = definition_for(stored[0])
    assert [i for i in new.items] == [i for i in old.items]        # same ids, rule and extra groups kept
    assert new.model.scoring == old.model.scoring
    again = run_cli(["criteria", "import", str(template), "--set", TT18, "--version", "2026-official"])
    assert again.exit_code == 0 and "unchanged" in again.output and len(versions()) == 2


def test_changed_wording_and_flags_become_a_new_version(run_cli, template):
    def change(rows):
        rows[1][6] = "Khuôn viên có tường bao quanh (văn bản chính thức)."
        rows[1][12] = "verbatim"
        rows[2][8] = ""                                   # 1.2 no longer mandatory
    rewrite(template, change)
    result = run_cli(["criteria", "import", str(template), "--set", TT18, "--version", "2026"])
    assert result.exit_code == 0, result.output
    new = definition_for(versions()[-1])
    assert new.items["tc1_1"].item.provenance == "verbatim" and "chính thức" in new.items["tc1_1"].item.text.vi
    assert new.items["tc1_2"].item.mandatory is False


def test_errors_name_row_and_column_and_nothing_is_written(run_cli, template):
    def change(rows):
        rows[3][4] = rows[2][4]                       # duplicate code (row 4)
        rows[5][8] = "maybe"                          # not a yes/no (row 6)
        rows[7][12] = "copied"                        # bad provenance (row 8)
        rows[9][7] = None                             # missing English text (row 10)
        rows[11][10] = "Chỉ tiếng Việt"; rows[11][11] = None   # evidence in one language (row 12)
        rows[20][0] = "co_so_vat_chat"                # group split (row 21)
    rewrite(template, change)
    result = run_cli(["criteria", "import", str(template), "--set", TT18, "--version", "bad"])
    assert result.exit_code != 0
    for expected in ("row 4, column 'code'", "row 6, column 'mandatory'", "row 8, column 'provenance'",
                     "row 10, column 'text_en'", "row 12, column 'evidence_en'", "row 21, column 'group_id'"):
        assert expected in result.output, result.output
    assert "nothing imported" in result.output
    assert len(versions()) == 1


def test_unknown_set_and_header_problems(run_cli, template, tmp_path):
    result = run_cli(["criteria", "import", str(template), "--set", "safe_school.nope", "--version", "x"])
    assert result.exit_code != 0 and "not a stored criteria set" in result.output
    rewrite(template, lambda rows: [["group", *rows[0][1:]], *rows[1:]])
    result = run_cli(["criteria", "import", str(template), "--set", TT18, "--version", "x"])
    assert "row 1, column 'group_id': missing" in result.output and "row 1, column 'group'" in result.output


def test_campaign_on_imported_version_and_old_results_kept(run_cli, template, client, world):
    old = latest_version(TT18)
    old_campaign = create_campaign(name="Old", definition=definition_for(old), owner=world.dept, scope=[world.dept],
                                   user_id=None)
    set_status(old_campaign, "open")
    db.session.commit()
    rewrite(template, lambda rows: rows[:-5])          # the official annex has 45 criteria
    assert run_cli(["criteria", "import", str(template), "--set", TT18, "--version", "2026"]).exit_code == 0
    new = latest_version(TT18)
    login(client, "dept_admin")
    form = client.get("/campaigns/new").get_data(as_text=True)
    assert f'value="{TT18}@{new.seq}"' in form
    response = post(client, "/campaigns/new", {"name": "TT18 official", "questionnaire": f"{TT18}@{new.seq}",
                                               "scope": str(world.dept.id)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    created = db.session.execute(select(Campaign).filter_by(name="TT18 official")).scalar_one()
    assert created.qversion_id == new.id
    assert len([i for i in definition_for(created.qversion).items.values() if i.item.type == "criterion"]) == 45
    assert db.session.get(Campaign, old_campaign.id).qversion_id == old.id
    assert re.search(r"2026", created.qversion.display_version)


def test_a_stored_set_whose_scoring_method_is_gone_is_not_copied_into_a_new_version(run_cli, template):
    """An imported version must follow every rule a questionnaire file follows at start-up,
    not only the schema: here the stored base names a scoring method no plugin registers."""
    base = versions()[-1]
    changed = dict(base.definition)
    changed["scoring"] = dict(changed["scoring"], scales=[dict(s, method="withdrawn_method")
                                                          for s in changed["scoring"]["scales"]])
    base.definition = changed
    db.session.commit()
    result = run_cli(["criteria", "import", str(template), "--set", TT18, "--version", "2027"])
    assert result.exit_code != 0
    assert "scoring.scales[0].method: unknown scoring method 'withdrawn_method'" in result.output, result.output
    assert "nothing imported" in result.output and len(versions()) == 1
