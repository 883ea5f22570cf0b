"""The anonymous suggestion box: anonymity, receipts, safeguarding keywords, the team's scope."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import inspect, select, text

from conftest import csrf_token, login, post
from plugins.school_dialogue import safeguarding
from plugins.school_dialogue.models import BoxMessage
from plugins.school_dialogue.workdays import add_working_days, reply_state
from surveyapp.extensions import db


def send(client, school_code: str, body: str):
    return client.post(f"/school_dialogue/box/{school_code}", data={"csrf_token": csrf_token(client), "body": body})


def receipt_of(html: str) -> str:
    return re.search(r'class="hotline">([A-Z0-9]{10})<', html).group(1)


def test_box_page_warns_about_the_duty_to_report_before_sending(client, world):
    page = client.get("/school_dialogue/box/A").get_data(as_text=True)
    assert "56/2017" in page and "25" in page and "<textarea" in page
    assert client.get("/school_dialogue/box/NOPE").status_code == 404


def test_database_holds_no_ip_user_agent_or_time_after_a_box_message(client, world):
    client.environ_base.update({"REMOTE_ADDR": "198.51.100.23", "HTTP_USER_AGENT": "CheapPhone/1.0 MarkerUA"})
    before = dt.datetime.now()
    sent = send(client, "A", "Nhà vệ sinh tầng 2 bị hỏng khóa.")
    assert sent.status_code == 200
    after = dt.datetime.now()
    stamps = {t.strftime(fmt) for t in (before, after) for fmt in ("%H:%M", "%H%M")}
    forbidden = ["198.51.100.23", "MarkerUA", "CheapPhone", receipt_of(sent.get_data(as_text=True))]
    for table in inspect(db.engine).get_table_names():
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')).mappings():
            dump = " ".join(str(v) for v in row.values())
            for needle in forbidden:
                assert needle not in dump, f"{needle} found in {table}"
            if table.startswith("school_dialogue_"):
                for stamp in stamps:
                    assert stamp not in dump, f"time of day found in {table}"
    columns = {c["name"] for c in inspect(db.engine).get_columns("school_dialogue_message")}
    assert not columns & {"ip", "user_agent", "created_at", "user_id", "device"}
    message = db.session.execute(select(BoxMessage)).scalar_one()
    assert type(message.received_on) is dt.date and message.due_on == add_working_days(message.received_on)


@pytest.mark.parametrize("body, category", [
    ("Em không muốn sống nữa, em muốn tự tử", "self_harm"),
    ("em muon tu tu", "self_harm"),
    ("TỰ SÁT", "self_harm"),
    ("em hay tu lam hai ban than", "self_harm"),
    ("Bạn em bị xâm hại", "abuse"),
    ("ban em bi xam hai", "abuse"),
    ("Em bị đánh ở nhà", "violence"),
    ("bo me bao hanh em", "violence"),
])
def test_keywords_match_with_and_without_diacritics(body, category):
    assert category in safeguarding.check(body)


@pytest.mark.parametrize("body", ["Bí danh của em là Mèo", "Em thích giờ thể dục", "Tủ tú sách"])
def test_ordinary_messages_are_not_flagged(body):
    assert safeguarding.check(body) == []


def test_disclosure_shows_help_at_once_and_reaches_the_counsellor_only_if_urgent(client, world):
    urgent = send(client, "A", "em muon chet, khong ai giup em").get_data(as_text=True)
    assert 'href="tel:111"' in urgent and "Cô Lan" in urgent and "0225 111 222" in urgent
    calm = send(client.application.test_client(), "A", "Căng tin bán đồ ăn đắt quá.").get_data(as_text=True)
    assert 'href="tel:111"' not in calm
    messages = db.session.execute(select(BoxMessage).order_by(BoxMessage.id)).scalars().all()
    assert [m.urgent for m in messages] == [True, False] and messages[0].flags == ["self_harm"]
    counsellor = client.application.test_client()
    login(counsellor, "counsellor")
    inbox = counsellor.get(f"/school_dialogue/schools/{world.school_a.id}/inbox").get_data(as_text=True)
    assert "em muon chet" in inbox and "Căng tin" not in inbox
    assert counsellor.get(f"/school_dialogue/messages/{messages[1].id}").status_code == 404
    post(counsellor, f"/school_dialogue/messages/{messages[0].id}")
    db.session.expire_all()
    assert db.session.get(BoxMessage, messages[0].id).counsellor_seen


def test_reply_readable_with_the_receipt_code_only(client, world):
    receipt = receipt_of(send(client, "A", "Xin thêm ghế đá ở sân sau.").get_data(as_text=True))
    message = db.session.execute(select(BoxMessage)).scalar_one()
    admin = client.application.test_client()
    login(admin, "school_admin")
    post(admin, f"/school_dialogue/messages/{message.id}", {"reply": "Tuần sau trường sẽ lắp 4 ghế.", "status": "answered"})
    student = client.application.test_client()
    read = post(student, "/school_dialogue/box/A/receipt", {"receipt": receipt.lower()}).get_data(as_text=True)
    assert "Tuần sau trường sẽ lắp 4 ghế." in read
    wrong = post(student, "/school_dialogue/box/A/receipt", {"receipt": "AAAAAAAAAA"}).get_data(as_text=True)
    assert "Tuần sau" not in wrong
    # the receipt is bound to its school
    assert "Tuần sau" not in post(student, "/school_dialogue/box/B/receipt", {"receipt": receipt}).get_data(as_text=True)


def test_other_schools_admin_gets_404(client, world):
    send(client, "A", "Sân trường có nhiều ổ gà.")
    message = db.session.execute(select(BoxMessage)).scalar_one()
    other = client.application.test_client()
    login(other, "school_b_admin")
    assert other.get(f"/school_dialogue/messages/{message.id}").status_code == 404
    assert other.get(f"/school_dialogue/schools/{world.school_a.id}/inbox").status_code == 404
    assert post(other, f"/school_dialogue/messages/{message.id}", {"reply": "x", "status": "closed"}).status_code == 404
    assert "ổ gà" not in other.get(f"/school_dialogue/schools/{world.school_b.id}/inbox").get_data(as_text=True)


def test_posting_is_rate_limited_per_device(client, world):
    statuses = [send(client, "A", f"Góp ý số {i} về trường").status_code for i in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429


@pytest.mark.parametrize("start, due", [
    (dt.date(2024, 6, 3), dt.date(2024, 6, 12)),    # Monday -> Wednesday of the next week
    (dt.date(2024, 6, 7), dt.date(2024, 6, 18)),    # Friday: the weekend does not count
    (dt.date(2025, 4, 25), dt.date(2025, 5, 9)),    # 30/4, 1/5 and 2/5 are holidays
    (dt.date(2026, 2, 12), dt.date(2026, 3, 2)),    # Tết 2026
])
def test_seven_working_days(start, due):
    assert add_working_days(start) == due


def test_reply_state():
    due = dt.date(2025, 3, 10)
    assert reply_state(due, None, dt.date(2025, 3, 10)) == "due"
    assert reply_state(due, None, dt.date(2025, 3, 11)) == "overdue"
    assert reply_state(due, dt.date(2025, 3, 12), dt.date(2025, 3, 20)) == "answered"
