"""No raw code in a summary sheet (issue 18, "Done when"): every demo workbook — each module's
campaign, the department's scope and one school's own, in Vietnamese and in English — read back
as an official's spreadsheet reads it. A code from the questionnaire or module data may stand only
in the raw-data sheet's documented code columns (listed on the legend sheet), next to its own
words in the same row (an item code beside its question), or where the legend sheet explains it.

The codes come from the data, not from a list typed here: the questionnaires' band, scale,
outcome, rule, item and section ids and item codes, the core's level and status words, the
modules' label tables. Option values are numbers and cannot be told from counts: the raw sheet's
legend covers them. An abbreviation (two to five capitals, not an organisation code) counts as a
code too: "KAD" means nothing until the legend says what it stands for."""
from __future__ import annotations

import re
from collections import defaultdict

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from demo_books import LOCALES, build_demo_books
from surveyapp import get_registry
from surveyapp.extensions import db
from surveyapp.labels import LEVEL_LABELS, STATUS_LABELS
from surveyapp.models import OrgUnit

pytestmark = pytest.mark.slow

ABBREVIATION = re.compile(r"^[A-ZĐ]{2,5}$")
LEGEND_NAMES = ("Chú giải", "Legend")


def words(text) -> set[str]:
    """A label in every language (a lazy string, or a questionnaire's {vi, en} text)."""
    if text is None:
        return set()
    if hasattr(text, "get"):
        return {text.get(locale) for locale in LOCALES} - {None, ""}
    found = set()
    for locale in LOCALES:
        with force_locale(locale):
            found.add(str(text))
    return found


def module_label_tables() -> list[dict]:
    """The modules' label tables ({kind: {code: label}}), found through the registered plugins."""
    import importlib
    tables = []
    for module_id in get_registry().modules:
        try:
            labels = importlib.import_module(f"plugins.{module_id}.labels")
        except ModuleNotFoundError:
            continue
        tables.append(labels.LABELS)
    return tables


def data_codes() -> dict[str, set[str]]:
    """Every coded value of the questionnaires, the core and the modules -> its words."""
    codes: dict[str, set[str]] = defaultdict(set)
    for table in (LEVEL_LABELS, STATUS_LABELS):
        for code, label in table.items():
            codes[code] |= words(label)
    for table in module_label_tables():
        for kind in table.values():
            for code, label in kind.items():
                codes[code] |= words(label)
    for definition in get_registry().questionnaires.values():
        model = definition.model
        for section in model.sections:
            codes[section.id] |= words(section.title)
        for info in definition.items.values():
            codes[info.item.id] |= words(info.item.text)
            if info.item.code:
                codes[info.item.code] |= words(info.item.text)
        scoring = model.scoring
        if scoring is None:
            continue
        for scale in scoring.scales:
            codes[scale.id] |= words(scale.label)
            for band in scale.bands:
                codes[band.id] |= words(band.label)
        for rule in scoring.risk:
            codes[rule.id] |= words(rule.label)
        if scoring.outcome is not None:
            for result, label in scoring.outcome.labels.items():
                codes[result] |= words(label)
    return codes


def legend_of(book) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """From the legend sheet: per sheet, the documented code columns and the explained codes."""
    columns: dict[str, set[str]] = defaultdict(set)
    explained: dict[str, set[str]] = defaultdict(set)
    name = next((n for n in book.sheetnames if n in LEGEND_NAMES), None)
    if name is None:
        return columns, explained
    rows = list(book[name].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] in ("Trang tính", "Sheet"))
    for sheet, column, code, meaning, *_rest in rows[header + 1:]:
        assert meaning, ("a legend entry without its meaning", sheet, column, code)
        if column:
            columns[sheet].add(str(column))
        if code is not None:
            explained[sheet].add(str(code))
    return columns, explained


def unexplained_codes(path, codes: dict[str, set[str]], org_codes: set[str]) -> list[tuple]:
    book = load_workbook(path, read_only=True)
    columns, explained = legend_of(book)
    found = []
    for sheet in book.worksheets:
        if sheet.title in LEGEND_NAMES:
            continue
        headers: tuple = ()
        for row in sheet.iter_rows(values_only=True):
            texts = [str(c) for c in row if isinstance(c, str)]
            if len(texts) > 1 and not headers:
                headers = row
            for index, value in enumerate(row):
                if not isinstance(value, str):
                    continue
                text = value.strip()
                is_code = text in codes or (ABBREVIATION.match(text) and text not in org_codes)
                if not is_code or text in codes.get(text, ()):   # a code that is also its own word ("draft")
                    continue
                header = str(headers[index]) if index < len(headers) and headers[index] is not None else ""
                in_own_words = any(other in codes.get(text, ()) for other in texts if other != text)
                documented = header in columns[sheet.title] or text in columns[sheet.title]
                if not (documented or in_own_words or text in explained[sheet.title]):
                    found.append((sheet.title, header, text))
    return sorted(set(found))


def test_no_raw_code_outside_the_documented_raw_columns(ctx, tmp_path):
    books = build_demo_books(tmp_path)
    codes = data_codes()
    org_codes = set(db.session.execute(select(OrgUnit.code)).scalars())
    assert {"mam_non", "family", "new", "self_referral"} <= set(codes)   # the data were read
    failures = {str(book): unexplained_codes(book.path, codes, org_codes) for book in books}
    failures = {book: found for book, found in failures.items() if found}
    assert not failures, "\n".join(f"{book}: {found}" for book, found in failures.items())


def test_every_code_column_of_a_raw_sheet_is_on_the_legend(ctx, tmp_path):
    from surveyapp.campaigns import definition_of
    from surveyapp.reports import measures_of
    with_raw = 0
    for book in build_demo_books(tmp_path, locales=("vi",)):
        workbook = load_workbook(book.path, read_only=True)
        raw = next((name for name in workbook.sheetnames if name.startswith("Dữ liệu thô")), None)
        if raw is None:
            continue
        with_raw += 1
        assert workbook.sheetnames[-1] == "Chú giải", (str(book), workbook.sheetnames)
        columns, explained = legend_of(workbook)
        definition = definition_of(book.campaign)
        answers = [info for info in definition.items.values() if info.slot]
        assert {info.item.code or info.item.id for info in answers} <= columns[raw], str(book)
        assert {str(option.value) for option in answers[0].options} <= explained[raw], str(book)
        assert {band for band, _label in measures_of(definition).bands} <= explained[raw], str(book)
    assert with_raw >= len(get_registry().modules)   # at least each module's school workbook
