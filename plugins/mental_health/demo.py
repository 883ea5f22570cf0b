"""Demo content: a few counselling requests and one open urgent alert at the demo counsellor's school."""
from __future__ import annotations

from surveyapp.extensions import db

from . import cases

REQUESTS = [
    dict(anonymous=True, topic="study", urgency="normal",
         message="Em lo lắng về kỳ thi cuối kỳ, học mãi không vào."),
    dict(anonymous=False, name="Nguyễn Văn An", klass="7A", contact="Nhắn qua cô chủ nhiệm",
         topic="relationships", urgency="soon", message="Em bị các bạn trong lớp trêu chọc."),
    dict(anonymous=False, name="Trần Thị Bình", klass="8B", contact="0900 000 000", topic="family",
         urgency="normal", message="Bố mẹ em hay cãi nhau, em muốn nói chuyện với cô."),
    dict(anonymous=True, topic="feelings", urgency="urgent",
         message="Dạo này em thấy rất buồn và không muốn làm gì nữa."),
]


def load(department, schools, campaigns, rng) -> None:
    school = next((s for s in schools if s.code == "P01-THCS"), schools[0] if schools else None)
    if school is None:
        return
    for request in REQUESTS:
        cases.create_request(school, source="self_referral", **request)
    db.session.flush()
