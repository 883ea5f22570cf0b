"""The department's official summary report of one campaign (.docx, Vietnamese administrative format).

Its figures are the workbook's: the same ``export.Summary`` (one scan, suppression applied),
so a hidden group is hidden here too, marked the same way, and the table's totals are the
dashboard's. The wording is Vietnamese: it is a document of the Vietnamese administration
(Nghị định 30/2020/NĐ-CP), not a page of the interface.
"""
from __future__ import annotations

import io
from typing import Any

from flask_babel import force_locale

from .campaigns import definition_of, version_label
from .export import Summary, campaign_window, figures_as_of
from .privacy import rule_text
from .labels import level_label
from .officialdoc import Issuer, OfficialDocument, TableColumn, vn_number
from .models import OrgUnit
from .reports import Row


def build_campaign_report(campaign, org: OrgUnit, place: str = "") -> bytes:
    with force_locale("vi"):
        definition = definition_of(campaign)
        summary = Summary.build(campaign, definition, org)
        rows = _child_rows(summary, org)   # the workbook's rows: hidden by the same release
        total = summary.totals.get(org.id)
        document = OfficialDocument(_issuer(org, place), "Báo cáo",
                                    f"Kết quả {campaign.name}")
        _general(document, campaign, definition, org)
        _participation(document, rows, total)
        _results(document, summary, rows, total)
        _closing(document)
        return document.to_bytes()


def _issuer(org: OrgUnit, place: str) -> Issuer:
    parent = org.parent.name if org.parent is not None else ""
    symbol = "".join(word[0] for word in org.name.split() if word[:1].isalpha()).upper()[:8]
    return Issuer(name=org.name, parent=parent, symbol=symbol, place=place)


def _child_rows(summary: Summary, org: OrgUnit) -> list[Row]:
    """The report's table: the units (or schools) directly under ``org``, in tree order by code."""
    rows = [row for kind in ("unit", "school") for row in summary.rows(kind)
            if row.org is not None and row.org.parent_id == org.id]
    return sorted(rows, key=lambda row: row.org.code)


def _general(document: OfficialDocument, campaign, definition, org: OrgUnit) -> None:
    document.section("I. THÔNG TIN CHUNG")
    document.bullet(f"Đợt khảo sát: {campaign.name}.")
    document.bullet(f"Phiếu: {definition.title('vi')} (phiên bản {version_label(campaign)}).")
    document.bullet(f"Phạm vi: {org.name} ({org.code}); thời gian: {campaign_window(campaign)}.")
    levels = ", ".join(level_label(level) for level in campaign.level_list) or "tất cả các cấp học"
    grades = ", ".join(str(g) for g in campaign.grade_list) or "tất cả"
    document.bullet(f"Đối tượng: {levels}; khối lớp: {grades}.")
    document.bullet(f"Số liệu tính đến {figures_as_of()}.")


def _participation(document: OfficialDocument, rows: list[Row], total) -> None:
    document.section("II. KẾT QUẢ THAM GIA")
    if total is not None:
        rate = vn_number(total.rate, "percent") or "—"
        document.paragraph(f"Toàn phạm vi có {vn_number(total.n, 'int')} phiếu trả lời trên "
                           f"{vn_number(total.expected, 'int')} đối tượng dự kiến của "
                           f"{vn_number(total.schools, 'int')} trường (tỷ lệ tham gia {rate}).")
    columns = [TableColumn("Đơn vị", width_cm=6), TableColumn("Số trường", "int"),
               TableColumn("Số phiếu", "int"), TableColumn("Dự kiến", "int"), TableColumn("Tỷ lệ", "percent")]
    document.table(columns, [[row.label, row.agg.schools, row.agg.n, row.agg.expected, row.agg.rate]
                             for row in rows])
    chart = _participation_chart(rows)
    if chart:
        document.figure(chart, "Tỷ lệ tham gia theo đơn vị (trục từ 0 %)")


def _results(document: OfficialDocument, summary: Summary, rows: list[Row], total) -> None:
    measures = summary.measures
    document.section("III. KẾT QUẢ ĐÁNH GIÁ")
    if measures.primary is None and not measures.bands:
        document.paragraph("Phiếu này không có điểm tổng hợp; xem chi tiết trong tệp Excel kèm theo.")
        return
    columns = [TableColumn("Đơn vị", width_cm=5.5)]
    if measures.primary is not None:
        columns.append(TableColumn(f"Điểm TB ({measures.primary.get('vi')})", "float"))
    columns += [TableColumn(label.get("vi"), "percent") for _key, label in measures.bands]
    body = [[row.label, *_result_cells(row, summary)] for row in rows]
    if total is not None:
        body.append(["Toàn phạm vi", *_result_cells(Row("", total), summary)])
    document.table(columns, body, note=_suppression_note(summary.k))


def _result_cells(row: Row, summary: Summary) -> list[Any]:
    values: list[Any] = [row.agg.mean] if summary.measures.primary is not None else []
    values += [row.agg.share("bands", key) for key, _label in summary.measures.bands]
    return [row.mark if row.hidden else value for value in values]


def _suppression_note(k: int) -> str:
    return "Ghi chú: " + rule_text(k)   # the disclosure-control layer's own statement of the rule


def _closing(document: OfficialDocument) -> None:
    document.section("IV. ĐÁNH GIÁ CHUNG VÀ KIẾN NGHỊ")
    for heading in ("1. Ưu điểm:", "2. Hạn chế, nguyên nhân:", "3. Kiến nghị, đề xuất:"):
        document.paragraph(heading)
        document.paragraph("……………………………………………………………………………")
    document.signature(["Như trên", "Lãnh đạo đơn vị"], "Thủ trưởng đơn vị")


def _participation_chart(rows: list[Row]) -> bytes | None:
    """A horizontal bar per unit, the axis from 0 to 100 %, every label in full (at most 40 bars)."""
    shown = [row for row in rows if row.agg.rate is not None][:40]
    if not shown:
        return None
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    figure, axis = pyplot.subplots(figsize=(7.5, 0.32 * len(shown) + 1.2), dpi=150)
    try:
        labels = [row.label for row in shown][::-1]
        values = [100 * min(row.agg.rate, 1.0) for row in shown][::-1]
        axis.barh(labels, values, color="#2F5597")
        axis.set_xlim(0, 100)
        axis.set_xlabel("Tỷ lệ tham gia (%)")
        for y, value in enumerate(values):
            axis.text(value + 1, y, f"{value:.1f}".replace(".", ","), va="center", fontsize=8)
        axis.tick_params(axis="y", labelsize=8)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        pyplot.close(figure)

