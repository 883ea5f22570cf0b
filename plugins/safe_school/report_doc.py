"""A school's safe-school self-assessment report as an editable Word document (NĐ 30/2020 layout),
built with the core's ``officialdoc``: the same content as the printable page, in Vietnamese."""
from __future__ import annotations

from surveyapp.officialdoc import Issuer, OfficialDocument, TableColumn

from . import assessment as flow

CRITERION_COLUMNS = [TableColumn("Mã", width_cm=1.4), TableColumn("Tiêu chí", width_cm=8.6),
                     TableColumn("Kết quả", width_cm=2.5), TableColumn("Minh chứng", width_cm=4.0)]


def build(context: dict) -> bytes:
    """``context`` is the assessment page's (``views._page_context``), read under the vi locale."""
    found, definition = context["a"], context["definition"]
    reviewer = found.reviewer_org or found.school.parent
    document = OfficialDocument(Issuer(name=found.school.name, parent=reviewer.name if reviewer else "",
                                       symbol=found.school.code),
                                "Báo cáo tự đánh giá",
                                f"Trường học an toàn, phòng, chống tai nạn thương tích — năm học {context['year']}")
    document.paragraph(f"Bộ tiêu chí: {definition.title('vi')} (phiên bản {found.response.qversion.display_version}). "
                       f"Căn cứ: {definition.model.source}")
    for number, section in enumerate(definition.sections, start=1):
        document.section(f"{_roman(number)}. {section.title.get('vi').upper()}")
        document.table(CRITERION_COLUMNS, [_criterion_row(context, item) for item in section.items])
    _result(document, context)
    document.signature([reviewer.name if reviewer else "Đơn vị đánh giá"], "Hiệu trưởng")
    return document.to_bytes()


def _criterion_row(context: dict, item) -> list[str]:
    definition, values, notes = context["definition"], context["values"], context["notes"]
    value = values.get(item.id)
    text = item.text.get("vi") + (" (bắt buộc)" if item.mandatory else "")
    if notes["comments"].get(item.id):
        text += f"\nGhi chú: {notes['comments'][item.id]}"
    plan = notes["plans"].get(item.id)
    if plan and value == 0:
        text += f"\nKế hoạch khắc phục: {plan['action']} ({plan['owner']}, {plan['due']})"
    if item.type in ("short_text", "long_text"):
        result = value or ""
    else:
        result = definition.option_label(item.id, value, "vi") if value is not None else ""
    evidence = "; ".join(row.filename if row.kind == "file" else row.url
                         for row in context["evidence"].get(item.id, []))
    return [item.code or "", text, result, evidence]


def _result(document: OfficialDocument, context: dict) -> None:
    found, definition = context["a"], context["definition"]
    document.section("KẾT QUẢ TỰ ĐÁNH GIÁ")
    scores = found.response.scores or {}
    for scale in definition.model.scoring.scales if definition.model.scoring else []:
        if scale.id in scores:
            document.bullet(f"{scale.label.get('vi')}: {scores[scale.id]['score']}")
    document.bullet(f"Kết quả tự đánh giá: {context['outcome'] or 'chưa có (chưa nộp)'}.")
    document.bullet(f"Trạng thái: {flow.status_label(found.status)}.")


def _roman(number: int) -> str:
    numerals = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in numerals:
        while number >= value:
            out, number = out + letters, number - value
    return out
