"""Load an official criteria annex from a spreadsheet as a NEW version of a stored set.

All rows are checked first and every problem is reported with its row and
column; nothing is written unless the whole file is valid. The set's rule
(thresholds, exclusions) and its non-criterion groups (e.g. the TT45 exclusion
checks, the conclusions) are kept from the latest stored version. Columns:
see docs/safe_school.md.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from surveyapp import audit, get_registry
from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion
from surveyapp.questionnaire import QuestionnaireError, load_data
from surveyapp.questionnaire.context import LoadContext, context_problems
from surveyapp.storage import definition_for, ensure_version, latest_version

COLUMNS = ("group_id", "group_title_vi", "group_title_en", "group_source", "code", "item_id", "text_vi",
           "text_en", "mandatory", "allow_na", "evidence_vi", "evidence_en", "provenance", "source")
REQUIRED = ("group_id", "code", "text_vi", "text_en", "provenance")
TRUE = {"1", "x", "yes", "y", "true", "có", "co"}
FALSE = {"", "0", "no", "n", "false", "không", "khong"}
ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SHEET = "criteria"


class CriteriaImportError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# -- reading ------------------------------------------------------------------------------

def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(row number, row) for every non-empty data row of the 'criteria' sheet (or the first)."""
    from openpyxl import load_workbook
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook: say so, write nothing
        raise CriteriaImportError([f"{path.name}: cannot be read as .xlsx ({exc.__class__.__name__})"]) from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if not rows:
        raise CriteriaImportError([f"{path.name}: the sheet is empty"])
    header = [str(h or "").strip().lower() for h in rows[0]]
    problems = [f"row 1, column '{c}': missing" for c in REQUIRED if c not in header]
    problems += [f"row 1, column '{h}': unknown column (allowed: {', '.join(COLUMNS)})"
                 for h in header if h and h not in COLUMNS]
    if problems:
        raise CriteriaImportError(problems)
    return [(number, {h: _text(v) for h, v in zip(header, row) if h})
            for number, row in enumerate(rows[1:], start=2) if any(_text(v) for v in row)]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# -- checking and building ---------------------------------------------------------------

def _flag(row: dict, column: str, where: str, problems: list[str]) -> bool:
    value = row.get(column, "").lower()
    if value in TRUE:
        return True
    if value not in FALSE:
        problems.append(f"{where}, column '{column}': '{row[column]}' is not yes/no (use 1 or blank)")
    return False


def _item(number: int, row: dict, problems: list[str]) -> dict:
    where = f"row {number}"
    problems += [f"{where}, column '{c}': required" for c in REQUIRED if not row.get(c)]
    code = row.get("code", "")
    if len(code) > 20:
        problems.append(f"{where}, column 'code': at most 20 characters")
    item_id = row.get("item_id") or "c_" + re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_")
    if not ID.match(item_id):
        problems.append(f"{where}, column 'item_id': '{item_id}' must be lower-case letters, digits and _ "
                        "starting with a letter")
    if row.get("provenance") and row["provenance"] not in ("verbatim", "paraphrased"):
        problems.append(f"{where}, column 'provenance': must be verbatim or paraphrased")
    item = {"id": item_id, "code": code, "type": "criterion", "text": {"vi": row.get("text_vi"),
                                                                       "en": row.get("text_en")},
            "mandatory": _flag(row, "mandatory", where, problems), "allow_na": _flag(row, "allow_na", where, problems),
            "provenance": row.get("provenance") or "paraphrased"}
    evidence = (row.get("evidence_vi", ""), row.get("evidence_en", ""))
    if all(evidence):
        item["evidence"] = {"vi": evidence[0], "en": evidence[1]}
    elif any(evidence):
        problems.append(f"{where}, column '{'evidence_en' if evidence[0] else 'evidence_vi'}': "
                        "give the evidence in both languages or neither")
    if row.get("source"):
        item["source"] = row["source"]
    return item


def build_sections(rows: list[tuple[int, dict]], reserved: set[str]) -> tuple[list[dict], dict, list[str]]:
    """Criterion groups from the rows; also (section, item) index -> row number for messages."""
    problems: list[str] = []
    sections: list[dict] = []
    where_of: dict[tuple[int, int], int] = {}
    seen_ids, seen_codes, closed = set(reserved), set(), set()
    for number, row in rows:
        group = row.get("group_id", "")
        if group and not ID.match(group):
            problems.append(f"row {number}, column 'group_id': '{group}' must be lower-case letters, digits and _")
        if not sections or sections[-1]["id"] != group:
            if group in closed:
                problems.append(f"row {number}, column 'group_id': the rows of group '{group}' must be together")
            closed.add(group)
            sections.append(_section(number, row, problems))
        else:
            _same_title(number, row, sections[-1], problems)
        item = _item(number, row, problems)
        if item["id"] in seen_ids:
            problems.append(f"row {number}, column 'item_id': '{item['id']}' is used twice")
        if item["code"] in seen_codes:
            problems.append(f"row {number}, column 'code': '{item['code']}' is used twice")
        seen_ids.add(item["id"])
        seen_codes.add(item["code"])
        where_of[(len(sections) - 1, len(sections[-1]["items"]))] = number
        sections[-1]["items"].append(item)
    if not rows:
        problems.append("the file has no criteria rows")
    return sections, where_of, problems


def _section(number: int, row: dict, problems: list[str]) -> dict:
    for column in ("group_title_vi", "group_title_en"):
        if not row.get(column):
            problems.append(f"row {number}, column '{column}': required on the first row of a group")
    section = {"id": row.get("group_id", ""), "title": {"vi": row.get("group_title_vi", ""),
                                                         "en": row.get("group_title_en", "")}, "items": []}
    if row.get("group_source"):
        section["source"] = row["group_source"]
    return section


def _same_title(number: int, row: dict, section: dict, problems: list[str]) -> None:
    for column, locale in (("group_title_vi", "vi"), ("group_title_en", "en")):
        if row.get(column) and row[column] != section["title"][locale]:
            problems.append(f"row {number}, column '{column}': differs from the group's first row")


def _has_criteria(section: dict) -> bool:
    return any(item.get("type") == "criterion" for item in section.get("items", []))


def new_definition(base: dict, rows: list[tuple[int, dict]], label: str, module: str | None = None):
    """The base set with its criterion groups replaced by the rows'; validated like a file,
    including what start-up checks of a file (its module is this plugin's, its scoring
    methods are registered), so no stored version escapes a rule a file must follow."""
    kept = [s for s in base.get("sections", []) if not _has_criteria(s)]
    first = next((i for i, s in enumerate(base.get("sections", [])) if _has_criteria(s)), 0)
    leading = [s for s in base["sections"][:first] if not _has_criteria(s)]
    trailing = [s for s in kept if s not in leading]
    reserved = {item["id"] for s in kept for item in s["items"]}
    sections, where_of, problems = build_sections(rows, reserved)
    if problems:
        raise CriteriaImportError(problems)
    data = copy.deepcopy(base)
    data["version"], data["sections"] = label, copy.deepcopy(leading) + sections + copy.deepcopy(trailing)
    offset = len(leading)
    try:
        definition = load_data(data, "import")
    except QuestionnaireError as exc:
        raise CriteriaImportError([_where(p.field, where_of, offset) + f"{p.field}: {p.message}"
                                   for p in exc.problems]) from None
    problems = context_problems(definition, _context(module or definition.module), "import")
    if problems:
        raise CriteriaImportError([f"{p.field}: {p.message}" for p in problems])
    return definition


def _context(module: str) -> LoadContext:
    registry = get_registry()
    return LoadContext(modules=set(registry.modules), methods=set(registry.scoring_methods),
                       own_modules={module})


def _where(field: str, where_of: dict, offset: int) -> str:
    match = re.match(r"sections\[(\d+)\]\.items\[(\d+)\]", field)
    if match:
        number = where_of.get((int(match.group(1)) - offset, int(match.group(2))))
        if number:
            return f"row {number}: "
    return ""


# -- importing ----------------------------------------------------------------------------

def stored_sets(module: str) -> list[str]:
    return sorted({qid for (qid,) in db.session.execute(
        select(QuestionnaireVersion.qid).filter_by(module=module))})


def import_file(path: Path, qid: str, label: str, module: str) -> tuple[QuestionnaireVersion, bool]:
    """Create the new version (all or nothing). Returns (version, created)."""
    label = (label or "").strip()
    if not 1 <= len(label) <= 20:
        raise CriteriaImportError(["--version: give a label of 1 to 20 characters (e.g. 2026-official)"])
    base = latest_version(qid) if qid in stored_sets(module) else None
    if base is None:
        raise CriteriaImportError([f"--set: '{qid}' is not a stored criteria set ({', '.join(stored_sets(module))})"])
    definition = new_definition(base.definition, read_rows(Path(path)), label, module)
    existing = db.session.execute(select(QuestionnaireVersion).filter_by(qid=qid, content_hash=definition.hash)
                                  ).scalar_one_or_none()
    if existing:
        return existing, False
    if db.session.execute(select(QuestionnaireVersion.id).filter_by(qid=qid, label=label)).first():
        raise CriteriaImportError([f"--version: '{label}' is already used by another version of {qid}"])
    version = ensure_version(definition)
    audit.record("safe_school.criteria_import", version, questionnaire=qid, seq=version.seq, label=label,
                 criteria=sum(1 for i in definition.items.values() if i.item.type == "criterion"))
    db.session.commit()
    return version, True


def template_rows(version: QuestionnaireVersion) -> list[list[str]]:
    """The stored set as rows of the template: a complete, importable example."""
    rows = []
    for section in definition_for(version).sections:
        for index, item in enumerate(i for i in section.items if i.type == "criterion"):
            first = index == 0
            rows.append([section.id, section.title.vi if first else "", section.title.en if first else "",
                         (section.source or "") if first else "", item.code or "", item.id, item.text.vi,
                         item.text.en, "1" if item.mandatory else "", "1" if item.allow_na else "",
                         item.evidence.vi if item.evidence else "", item.evidence.en if item.evidence else "",
                         item.provenance or "paraphrased", item.source or ""])
    return rows
