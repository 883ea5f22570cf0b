"""Sessions, the public page, the school report, the export sheets, navigation and the demo."""
from __future__ import annotations

import datetime as dt

import openpyxl
from sqlalchemy import select

from conftest import login, post
from school_dialogue_helpers import add_responses, open_campaign
from plugins.school_dialogue import box, sessions
from plugins.school_dialogue.models import BoxMessage, DialogueIssue, DialogueSession
from plugins.school_dialogue.workdays import add_working_days
from surveyapp.export import ExportOptions, build_workbook
from surveyapp.extensions import db
from surveyapp.models import ClassGroup


def rows_of(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_class_of_four_is_suppressed_in_report_and_export(client, world, tmp_path):
    campaign = open_campaign(world)
    add_responses(campaign, world.school_a, world.class_a6, 12, texts=["Gọi cô 0912345678 nhé", "Thêm cây xanh"])
    add_responses(campaign, world.school_a, world.class_a7, 4, seed=2)
    add_responses(campaign, world.school_b, world.class_b6, 3, seed=3)
    class_a8 = ClassGroup(school_id=world.school_a.id, grade=8, name="8A", size=30)
    db.session.add(class_a8)
    db.session.commit()
    add_responses(campaign, world.school_a, class_a8, 10, seed=4)
    login(client, "school_admin")
    page = client.get(f"/school_dialogue/report/{campaign.id}/{world.school_a.id}").get_data(as_text=True)
    assert "7A" in page and "ẩn: ít hơn 5 câu trả lời" in page
    # A is B's only sibling (city - A = B), so A's own results are hidden on its page too, as on the city's
    assert "ẩn để không thể suy ra một nhóm nhỏ" in page
    assert "0912345678" not in page and "[phone]" in page
    path = build_workbook(campaign, world.school_a, tmp_path / "a.xlsx", ExportOptions(own_school=True))
    book = openpyxl.load_workbook(path)
    names = book.sheetnames
    participation = next(book[n] for n in names if n.startswith("Participation") or n.startswith("Tham gia"))
    rows = rows_of(participation)
    a7 = next(r for r in rows if r[2] == "7A")
    a6 = next(r for r in rows if r[2] == "6A")
    assert isinstance(a7[5], str) and a7[4] == 4       # suppressed mark, not the count 4
    a8 = next(r for r in rows if r[2] == "8A")
    assert a6[5] == 12 and isinstance(a8[5], str)      # complementary: the next-smallest class is hidden too
    free = [book[n] for n in names if "text" in n.lower() or "tự do" in n.lower()]
    assert free and any("[phone]" in str(c) for r in rows_of(free[0]) for c in r)
    city = openpyxl.load_workbook(build_workbook(campaign, world.dept, tmp_path / "d.xlsx",
                                                 ExportOptions(department_wide=True)))
    assert not [n for n in city.sheetnames if "text" in n.lower() or "tự do" in n.lower()]
    scores = next(city[n] for n in city.sheetnames if "Section" in n or "lĩnh vực" in n.lower() or "phần" in n.lower())
    school_b = next(r for r in rows_of(scores) if r[0] == "B")
    assert school_b[2] == 3 and all(isinstance(v, str) for v in school_b[3:])  # 3 responses: results hidden
    items = next(city[n] for n in city.sheetnames if "school" in n.lower() or "theo trường" in n.lower())
    assert all(isinstance(r[5], str) for r in rows_of(items)[1:] if r[0] in ("A", "B"))  # B small, A by complement
    by_grade = next(book[n] for n in names if "grade" in n.lower() or "theo khối" in n.lower())
    grade_rows = rows_of(by_grade)[1:]
    assert any(r[0] == 6 and isinstance(r[5], int) for r in grade_rows)   # a grade is a number
    hidden = [r for r in grade_rows if r[0] in (7, 8)]
    assert hidden and all(isinstance(r[5], str) for r in hidden)  # 4, then the complement


def test_free_text_hidden_below_ten_and_from_other_schools(client, world):
    campaign = open_campaign(world)
    add_responses(campaign, world.school_a, world.class_a6, 6, texts=["Bí mật lớp 6A"])
    login(client, "school_admin")
    page = client.get(f"/school_dialogue/report/{campaign.id}/{world.school_a.id}").get_data(as_text=True)
    assert "Bí mật lớp 6A" not in page
    other = client.application.test_client()
    login(other, "school_b_admin")
    assert other.get(f"/school_dialogue/report/{campaign.id}/{world.school_a.id}").status_code == 404


def test_session_prefilled_answered_and_published(client, world):
    campaign = open_campaign(world)
    add_responses(campaign, world.school_a, world.class_a6, 12)
    box.post_message(world.school_a, "Xin mở thư viện giờ ra chơi.")
    box.post_message(world.school_a, "em muốn tự tử")        # urgent: never pre-filled into a session
    login(client, "school_admin")
    form = client.get(f"/school_dialogue/schools/{world.school_a.id}/sessions/new").get_data(as_text=True)
    assert "thư viện" in form and "tự tử" not in form and form.count('name="suggested"') == 4
    held = dt.date(2025, 3, 7)
    post(client, f"/school_dialogue/schools/{world.school_a.id}/sessions/new",
         {"held_on": held.isoformat(), "title": "Diễn đàn HK2", "grade_6": "40", "grade_7": "",
          "suggested": ["0", "3"], "other": "Thêm giờ thể thao"})
    session = db.session.execute(select(DialogueSession)).scalar_one()
    assert session.participants == {"6": 40}
    issues = session.issues
    assert [i.source for i in issues] == ["survey", "box", "floor"]
    assert all(i.reply_due == add_working_days(held) for i in issues)
    assert sessions.issue_state(issues[0]) == "overdue"
    box_issue = issues[1]
    post(client, f"/school_dialogue/issues/{box_issue.id}/answer",
         {"answer": "Thư viện mở giờ ra chơi từ tuần sau.", "decision": "will", "public": "1"})
    post(client, f"/school_dialogue/issues/{box_issue.id}/commitments",
         {"action": "Phân công trực thư viện", "owner": "Cô Hà", "due_on": "2025-03-20"})
    db.session.expire_all()
    issue = db.session.get(DialogueIssue, box_issue.id)
    assert sessions.issue_state(issue) == "answered" and issue.commitments[0].status == "planned"
    message = db.session.get(BoxMessage, issue.message_id)
    assert message.status == "answered" and message.reply.startswith("Thư viện")
    public = client.application.test_client().get("/school_dialogue/changed/A").get_data(as_text=True)
    assert "Thư viện mở giờ ra chơi" in public and "Phân công trực thư viện" in public
    assert "Thêm giờ thể thao" not in public   # not answered, so not published
    other = client.application.test_client()
    login(other, "school_b_admin")
    assert other.get(f"/school_dialogue/sessions/{session.id}").status_code == 404
    assert other.get(f"/school_dialogue/schools/{world.school_a.id}/sessions").status_code == 404
    assert post(other, f"/school_dialogue/issues/{issue.id}/answer",
                {"answer": "x", "decision": "will"}).status_code == 404


def test_navigation_lists_the_dialogue_pages(client, world):
    login(client, "school_admin")
    home = client.get("/").get_data(as_text=True)
    assert "/school_dialogue/" in home
    index = client.get("/school_dialogue/").get_data(as_text=True)
    assert "/school_dialogue/box/A" in index and f"/school_dialogue/schools/{world.school_a.id}/inbox" in index


def test_demo_adds_messages_and_a_session(ctx):
    from surveyapp.demo import load_demo
    load_demo(responses_per_class=2)
    assert db.session.execute(select(BoxMessage)).scalars().all()
    session = db.session.execute(select(DialogueSession)).scalar_one()
    assert session.issues and session.school.code == "P01-THCS"
