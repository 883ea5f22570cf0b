"""Child-process side of the report and export benchmarks (each run in its own process so that
its peak RSS is its own). Prints one JSON line. Usage:

    python -m bench.worker report URL CAMPAIGN_ID REPS
    python -m bench.worker export URL CAMPAIGN_ID MODE OUT.xlsx      MODE: platform|limit|charts|nocharts
    python -m bench.worker sheets OUT.xlsx                            rows per sheet of a workbook
"""
from __future__ import annotations

import json
import re
import sys
import time
import zipfile
from collections import defaultdict


def _app(url: str):
    from .common import make_app
    return make_app(url)


# -- report ---------------------------------------------------------------------------------

def _rollup(per_school: dict, parent_of: dict) -> dict:
    """Sum per-school (item -> (n, counts)) figures into their units and the whole city."""
    units: dict = defaultdict(lambda: defaultdict(lambda: [0, defaultdict(int)]))
    for school_id, items in per_school.items():
        for key in (parent_of[school_id], "city"):
            for item_id, (n, counts) in items.items():
                cell = units[key][item_id]
                cell[0] += n
                for value, c in counts.items():
                    cell[1][value] += c
    return {unit: {item: (n, dict(c)) for item, (n, c) in items.items()} for unit, items in units.items()}


def platform_report(campaign, parent_of: dict) -> dict:
    from surveyapp.campaigns import definition_of
    from surveyapp.privacy import release
    from surveyapp.reports import _school_distributions
    # the disclosure decision is part of every published report: its counting (folded into the report's
    # own scan, grouped by atom) and its decision are timed too, never reused from an earlier repetition
    release._DECISIONS.clear()
    with release.one_release():
        per = _school_distributions(campaign, definition_of(campaign))
        release.release_for(campaign)  # decided from the scan's counts: no scan of its own
    per_school = {sid: {item: (d.n, d.counts) for item, d in items.items()} for sid, items in per.items()}
    return {"schools": per_school, "units": _rollup(per_school, parent_of)}


def raw_sql(dialect: str, slots: list[tuple[str, int, list[int]]]) -> str:
    parts = []
    for _item, slot, values in slots:
        parts.append(f"COUNT(v{slot})")
        for v in values:
            parts.append(f"COUNT(*) FILTER (WHERE v{slot} = {v})" if dialect == "postgresql"
                         else f"SUM(v{slot} = {v})")
    return (f"SELECT school_id, {', '.join(parts)} FROM response WHERE campaign_id = %s AND status = 1 "
            "GROUP BY school_id")


def raw_report(conn, dialect: str, campaign_id: int, slots, parent_of: dict) -> dict:
    sql = raw_sql(dialect, slots)
    if dialect == "sqlite":
        sql = sql.replace("%s", "?")
    cursor = conn.cursor()
    cursor.execute(sql, (campaign_id,))
    per_school = {}
    for row in cursor.fetchall():
        figures, items, i = row[1:], {}, 0
        for item_id, _slot, values in slots:
            items[item_id] = (figures[i], {v: int(figures[i + 1 + j] or 0) for j, v in enumerate(values)})
            i += 1 + len(values)
        per_school[row[0]] = items
    cursor.close()
    return {"schools": per_school, "units": _rollup(per_school, parent_of)}


def raw_connection(url: str):
    if url.startswith("sqlite"):
        import sqlite3
        return sqlite3.connect(url.split(":///", 1)[1]), "sqlite"
    import psycopg
    return psycopg.connect(url.replace("postgresql+psycopg", "postgresql")), "postgresql"


def report(url: str, campaign_id: int, reps: int) -> dict:
    from sqlalchemy import select

    from surveyapp.campaigns import definition_of
    from surveyapp.extensions import db
    from surveyapp.models import Campaign, OrgUnit
    app = _app(url)
    conn, dialect = raw_connection(url)
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        definition = definition_of(campaign)
        slots = [(i, info.slot, [o.value for o in info.options]) for i, info in definition.items.items() if info.slot]
        platform_s, limit_s = [], []
        for _ in range(reps):  # interleaved, so drift hits both alike
            parent_of = dict(db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)).all())
            started = time.perf_counter()
            mine = platform_report(campaign, parent_of)
            platform_s.append(time.perf_counter() - started)
            db.session.rollback()
            started = time.perf_counter()
            theirs = raw_report(conn, dialect, campaign_id, slots, parent_of)
            limit_s.append(time.perf_counter() - started)
        equal = mine == theirs
        return {"platform_s": platform_s, "limit_s": limit_s, "equal": equal, "schools": len(mine["schools"]),
                "units": len(mine["units"]) - 1, "groups": len(mine["schools"]) * len(slots)}


# -- export ---------------------------------------------------------------------------------

def export(url: str, campaign_id: int, mode: str, out: str) -> dict:
    if mode == "limit":
        return _export_limit(url, campaign_id, out)
    from flask_babel import force_locale

    from surveyapp import export as xl
    from surveyapp.extensions import db
    from surveyapp.models import Campaign
    app = _app(url)
    if mode == "nocharts":
        xl.WorkbookWriter._chart = lambda *args, **kwargs: None
    if mode == "platform":
        # The product refuses a city-wide raw sheet of a student survey (a school gets its own); the bench
        # still times the row-streaming path at city scale, which a school's and a staff form's export use.
        xl.raw_allowed = lambda *args, **kwargs: True
    with app.app_context(), app.test_request_context(), force_locale("vi"):
        campaign = db.session.get(Campaign, campaign_id)
        options = xl.ExportOptions(include_raw=mode == "platform", locale="vi")
        started = time.perf_counter()
        xl.build_workbook(campaign, campaign.owner_org, out, options)
        return {"seconds": time.perf_counter() - started}


LIMIT_QUERY = """SELECT o.code, c.name, r.grade, r.submitted_on, r.total, r.band, {slots}
FROM response r JOIN org_unit o ON r.school_id = o.id LEFT JOIN class_group c ON r.class_group_id = c.id
WHERE r.campaign_id = {p} AND r.status = 1 ORDER BY r.id"""


def _export_limit(url: str, campaign_id: int, out: str) -> dict:
    """The physical limit: a raw DB-API cursor streamed into bare XlsxWriter (constant_memory)."""
    import datetime as dt

    import xlsxwriter
    conn, dialect = raw_connection(url)
    cursor = conn.cursor(name="limit") if dialect == "postgresql" else conn.cursor()
    slots = _slot_columns(conn, campaign_id, dialect)
    started = time.perf_counter()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("Raw data")
    sheet.write_row(0, 0, ["School code", "Class", "Grade", "Date", "Total", "Band"] + slots)
    p = "%s" if dialect == "postgresql" else "?"
    cursor.execute(LIMIT_QUERY.format(slots=", ".join(f"r.{s}" for s in slots), p=p), (campaign_id,))
    for r, row in enumerate(cursor, start=1):
        row = list(row)
        if isinstance(row[3], str):  # SQLite returns dates as text; the platform writes real dates
            row[3] = dt.date.fromisoformat(row[3])
        sheet.write_row(r, 0, row[:3])
        sheet.write_datetime(r, 3, row[3], date_format)
        sheet.write_row(r, 4, row[4:])
    book.close()
    return {"seconds": time.perf_counter() - started}


def _slot_columns(conn, campaign_id: int, dialect: str) -> list[str]:
    """v1..vN of the campaign's questionnaire, read from its stored definition."""
    p = "%s" if dialect == "postgresql" else "?"
    cursor = conn.cursor()
    cursor.execute(f"SELECT q.definition FROM campaign c JOIN questionnaire_version q ON q.id = c.qversion_id "
                   f"WHERE c.id = {p}", (campaign_id,))
    definition = cursor.fetchone()[0]
    definition = json.loads(definition) if isinstance(definition, str) else definition
    text_types = {"short_text", "long_text"}
    items = [item for section in definition["sections"] for item in section["items"]]
    cursor.close()
    return [f"v{n}" for n in range(1, 1 + sum(1 for i in items if i["type"] not in text_types))]


def sheets(path: str) -> dict:
    """Sheet names, their used row counts and the rows above their data (a note, then the column
    headers: the first row of more than one cell), from the workbook's XML (no full load)."""
    with zipfile.ZipFile(path) as archive:
        names = re.findall(r'<sheet name="([^"]+)"', archive.read("xl/workbook.xml").decode())
        rows, heads = [], []
        for i in range(1, len(names) + 1):
            with archive.open(f"xl/worksheets/sheet{i}.xml") as handle:
                head = handle.read(65536).decode(errors="replace")
            match = re.search(r'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"', head)
            rows.append(int(match.group(1) or 1) if match else 0)
            heads.append(_header_row(head))
    return {"sheets": names, "rows": rows, "header_rows": heads}


def _header_row(xml_head: str) -> int:
    for number, cells in re.findall(r'<row r="(\d+)"[^>]*>(.*?)</row>', xml_head, re.S):
        if cells.count("<c ") > 1:
            return int(number)
    return 1


def main(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "report":
        out = report(argv[1], int(argv[2]), int(argv[3]))
    elif kind == "export":
        out = export(argv[1], int(argv[2]), argv[3], argv[4])
    elif kind == "sheets":
        out = sheets(argv[1])
    else:
        raise SystemExit(__doc__)
    from .common import rss_of
    import os
    out["vm_hwm_mib"] = rss_of(os.getpid())
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
