"""Demo content: a few suggestion-box messages and one dialogue session at THCS Hồng Bàng."""
from __future__ import annotations

import datetime as dt

from surveyapp.extensions import db
from surveyapp.models import today

from . import box, sessions
from .workdays import add_working_days

MESSAGES = [
    "Nhà vệ sinh tầng 2 hay bị hỏng khóa, chúng em ngại đi.",
    "Em mong trường có thêm câu lạc bộ bóng rổ và mở thư viện giờ ra chơi.",
    "Một số bạn lớp trên hay trêu chọc và xô đẩy học sinh lớp 6 ở cầu thang.",
    "Em muốn được góp ý về nội quy mặc đồng phục mùa đông.",
    "Có bạn bị đánh ở nhà xe sau giờ học mà không ai biết.",  # trips the safeguarding check: urgent
]


def load(schools, campaigns, rng) -> None:
    school = next((s for s in schools if s.code == "P01-THCS"), None) or \
        next((s for s in schools if s.kind == "school" and "thcs" in s.level_list), None) or \
        next((s for s in schools if s.kind == "school"), None)
    if school is None:
        return
    for body in MESSAGES:
        box.post_message(school, body, commit=False)
    campaign = next((c for c in campaigns if c.module == "school_dialogue"), None)
    held_on = today() - dt.timedelta(days=14)
    suggested = sessions.suggestions(school)[:4]
    session = sessions.create_session(
        school, held_on=held_on, title="Diễn đàn \u201cĐiều em muốn nói\u201d học kỳ I",
        participants={"6": 38, "7": 35, "8": 30, "9": 32}, issues=suggested, campaign=campaign,
        notes="Ban Giám hiệu, Liên đội và đại diện các lớp tham dự.")
    first = session.issues[0] if session.issues else None
    if first is not None:
        sessions.answer_issue(first, answer="Nhà trường sẽ sửa chữa và bổ sung trước khi kết thúc học kỳ.",
                              decision="will", public=True, on=add_working_days(held_on, 3))
        sessions.add_commitment(first, action="Sửa khóa và vòi nước nhà vệ sinh tầng 2", owner="Phó Hiệu trưởng",
                                due_on=held_on + dt.timedelta(days=30))
    db.session.flush()
