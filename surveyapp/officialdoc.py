"""A Vietnamese administrative report (.docx) laid out as Nghị định 30/2020/NĐ-CP, Phụ lục I asks.

Only the layout lives here: the issuing body and national motto side by side, the number and
date line, the title, numbered sections, tables, chart images with captions, and the signature
block left to fill. What the report says comes from its caller. The file is an ordinary Word
document, editable in Word and LibreOffice.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

FONT = "Times New Roman"        # NĐ 30/2020 Đ5: Times New Roman, Unicode (TCVN 6909:2001)
BODY_SIZE, TABLE_SIZE = 13, 11  # body 13-14 pt; tables may be smaller
FILL = "……"                     # what the person signing fills in by hand
TEXT_WIDTH_CM = 16.5            # A4 less the 30 mm and 15 mm margins


@dataclass
class Issuer:
    """The body that issues the report, under its governing body (both printed in capitals)."""

    name: str
    parent: str = ""
    symbol: str = ""   # the body's abbreviation in the number line, e.g. "SGDĐT"
    place: str = ""    # địa danh of the date line, e.g. "Hải Phòng"


@dataclass
class TableColumn:
    header: str
    kind: str = "text"   # text | int | float | percent
    width_cm: Optional[float] = None


def vn_number(value: Any, kind: str) -> str:
    """Figures as Vietnamese documents write them: 1.234 thousands, 3,65 decimals, 80,6 %."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "percent":
        return f"{100 * value:.1f}".replace(".", ",") + " %"
    if kind == "float":
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, (int, float)):
        return f"{int(round(value)):,}".replace(",", ".")
    return str(value)


class OfficialDocument:
    def __init__(self, issuer: Issuer, title: str, subtitle: str = "", day: Optional[dt.date] = None,
                 kind_symbol: str = "BC"):
        self.doc = Document()
        self._page_and_fonts()
        self._heading_block(issuer, day, kind_symbol)
        self._title(title, subtitle)
        self._figures = 0

    # -- layout ----------------------------------------------------------------------------
    def _page_and_fonts(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        # Margins within NĐ 30/2020 Đ5: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
        section.top_margin, section.bottom_margin = Mm(20), Mm(20)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
        style = self.doc.styles["Normal"]
        style.font.name, style.font.size = FONT, Pt(BODY_SIZE)
        style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
        style.paragraph_format.space_after = Pt(6)
        self._page_number_footer(section)

    def _page_number_footer(self, section) -> None:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
            run = paragraph.add_run()
            if kind:
                field = OxmlElement("w:fldChar")
                field.set(qn("w:fldCharType"), kind)
                run._r.append(field)
            else:
                instruction = OxmlElement("w:instrText")
                instruction.set(qn("xml:space"), "preserve")
                instruction.text = text
                run._r.append(instruction)

    def _heading_block(self, issuer: Issuer, day: Optional[dt.date], kind_symbol: str) -> None:
        table = self.doc.add_table(rows=1, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        left, right = table.rows[0].cells
        left.width, right.width = Cm(6.5), Cm(9.5)
        self._line(left, (issuer.parent or FILL).upper(), size=12, first=True)
        self._line(left, issuer.name.upper(), size=12, bold=True, rule=True)
        self._line(left, f"Số: {FILL}/{kind_symbol}-{issuer.symbol or FILL}", size=13)
        self._line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, first=True)
        self._line(right, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, rule=True)
        day = day or dt.date.today()
        self._line(right, f"{issuer.place or FILL}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
                   size=13, italic=True)

    @staticmethod
    def _line(cell, text: str, size: int, bold: bool = False, italic: bool = False, rule: bool = False,
              first: bool = False) -> None:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(2)
        run = paragraph.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)
        if rule:  # the short rule under the body's name and under the motto
            rule_paragraph = cell.add_paragraph("———————")
            rule_paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            rule_paragraph.paragraph_format.space_after = Pt(2)
            rule_paragraph.runs[0].font.size = Pt(8)

    def _title(self, title: str, subtitle: str) -> None:
        self.doc.add_paragraph()
        for text, size in ((title.upper(), 14), (subtitle, 13)):
            if not text:
                continue
            paragraph = self.doc.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.space_after = Pt(2)
            run = paragraph.add_run(text)
            run.bold, run.font.size = True, Pt(size)
        self.doc.add_paragraph()

    # -- content ---------------------------------------------------------------------------
    def section(self, title: str) -> None:
        paragraph = self.doc.add_paragraph()
        paragraph.paragraph_format.space_before = Pt(6)
        run = paragraph.add_run(title)
        run.bold = True

    def paragraph(self, text: str, italic: bool = False) -> None:
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.first_line_indent = Cm(1)
        paragraph.add_run(text).italic = italic

    def bullet(self, text: str) -> None:
        paragraph = self.doc.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(1)
        paragraph.add_run("- " + text)

    def table(self, columns: Sequence[TableColumn], rows: Iterable[Sequence[Any]], note: str = "") -> None:
        table = self.doc.add_table(rows=1, cols=len(columns))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, column in zip(table.rows[0].cells, columns):
            self._cell(cell, column.header, bold=True, center=True)
        self._repeat_header(table.rows[0])
        for values in rows:
            cells = table.add_row().cells
            for cell, column, value in zip(cells, columns, values):
                self._cell(cell, vn_number(value, column.kind), right=column.kind != "text")
        self._widths(table, columns)
        if note:
            paragraph = self.doc.add_paragraph()
            run = paragraph.add_run(note)
            run.italic, run.font.size = True, Pt(TABLE_SIZE)

    @staticmethod
    def _widths(table, columns: Sequence[TableColumn]) -> None:
        """Given widths, the rest of the 16.5 cm text width shared by the other columns."""
        fixed = sum(c.width_cm or 0 for c in columns)
        free = [c for c in columns if not c.width_cm]
        share = max(1.5, (TEXT_WIDTH_CM - fixed) / len(free)) if free else 0
        table.autofit = False
        for index, column in enumerate(columns):
            width = Cm(column.width_cm or share)
            table.columns[index].width = width
            for row in table.rows:
                row.cells[index].width = width

    @staticmethod
    def _cell(cell, text: str, bold: bool = False, center: bool = False, right: bool = False) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.alignment = (WD_ALIGN_PARAGRAPH.CENTER if center else
                               WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT)
        run = paragraph.add_run(text)
        run.bold, run.font.size = bold, Pt(TABLE_SIZE)

    @staticmethod
    def _repeat_header(row) -> None:
        properties = row._tr.get_or_add_trPr()
        header = OxmlElement("w:tblHeader")
        header.set(qn("w:val"), "true")
        properties.append(header)

    def figure(self, png: bytes, caption: str, width_cm: float = 15.5) -> None:
        self._figures += 1
        self.doc.add_picture(io.BytesIO(png), width=Cm(width_cm))
        self.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(f"Biểu đồ {self._figures}. {caption}")
        run.italic, run.font.size = True, Pt(12)

    def signature(self, recipients: Sequence[str], signer_title: str) -> None:
        """Nơi nhận on the left; on the right the signer's title and room to sign and seal."""
        self.doc.add_paragraph()
        table = self.doc.add_table(rows=1, cols=2)
        left, right = table.rows[0].cells
        paragraph = left.paragraphs[0]
        run = paragraph.add_run("Nơi nhận:")
        run.bold, run.italic, run.font.size = True, True, Pt(12)
        for recipient in recipients:
            left.add_paragraph().add_run(f"- {recipient};").font.size = Pt(11)
        left.add_paragraph().add_run(f"- Lưu: VT, {FILL}.").font.size = Pt(11)
        self._line(right, signer_title.upper(), size=13, bold=True, first=True)
        self._line(right, "(Ký, ghi rõ họ tên, đóng dấu)", size=12, italic=True)
        for _ in range(3):
            right.add_paragraph()
        self._line(right, FILL, size=13, bold=True)

    def save(self, path: Path) -> Path:
        path = Path(path)
        partial = path.with_name(path.name + ".part")
        self.doc.save(str(partial))
        partial.replace(path)
        return path

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()
