"""Each module supplies its figures to the upward-reporting indicators sheet."""
from __future__ import annotations

import random

import pytest

from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import insert

from campaign_helpers import open_campaign
from surveyapp import get_registry
from surveyapp.demo import random_answers
from surveyapp.export import ExportOptions, build_workbook
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, Response, today
from surveyapp.respondent import score_answers
from surveyapp.storage import response_values, result_values


def add_responses(campaign, school, class_group, count, *, outcome=None, seed=1):
    definition = get_registry().questionnaires[campaign.qversion.qid]
    rng, rows = random.Random(seed), []
    for _ in range(count):
        answers = random_answers(definition, rng)
        result = score_answers(definition, answers, context={"facility_type": school.facility_type})
        values = {**response_values(definition, answers), **result_values(result)}
        if outcome:
            values["outcome"] = outcome
        rows.append({"campaign_id": campaign.id, "qversion_id": campaign.qversion_id, "school_id": school.id,
                     "class_group_id": class_group.id if class_group else None,
                     "grade": class_group.grade if class_group else None, "status": RESPONSE_SUBMITTED,
                     "submitted_on": today(), **values})
    db.session.execute(insert(Response), rows)
    db.session.commit()


def indicator_rows(campaign, org, tmp_path):
    path = build_workbook(campaign, org, tmp_path / "book.xlsx", ExportOptions(locale="en"))
    sheet = load_workbook(path)["Indicators"]
    rows = list(sheet.iter_rows(min_row=3))
    for row in rows:   # a percentage is a share in a percent format; a count is a plain number
        value, unit = row[3], row[4].value
        if isinstance(value.value, float) and unit == "%":
            assert "%" in value.number_format and 0 <= value.value <= 1, (value.value, value.number_format)
        elif isinstance(value.value, (int, float)):
            assert "%" not in value.number_format, (unit, value.number_format)
    return [[cell.value for cell in row] for row in rows]



def test_dialogue_participation_is_the_views_sought_indicator(world, tmp_path):
    campaign = open_campaign(world, "school_dialogue.dialogue")
    add_responses(campaign, world.school_a, world.class_a6, 12)
    with force_locale("en"):
        rows = indicator_rows(campaign, world.dept, tmp_path)
    expected = 30 + 4 + 25  # class sizes on record in the campaign's scope
    assert len(rows) == 1 and rows[0][0].startswith("Share of children aged 7 and over")
    assert rows[0][3] == pytest.approx(round(100 * 12 / expected, 1) / 100) and rows[0][2] is None  # no confirmed code
    assert "Unverified" in rows[0][5]


def test_school_safety_results_by_level(world, tmp_path):
    campaign = open_campaign(world, "safe_school.tt18_2023")
    add_responses(campaign, world.school_a, None, 1, outcome="dat")
    add_responses(campaign, world.school_b, None, 1, outcome="khong_dat", seed=2)
    with force_locale("en"):
        rows = indicator_rows(campaign, world.dept, tmp_path)
    assert [(r[0].split(" — ")[-1], r[3]) for r in rows] == [("THCS", 0.5)]   # a share, shown as 50.0%


def test_counselling_requests_by_topic_are_counts_with_suppression(world, tmp_path):
    from plugins.mental_health.models import Case
    campaign = open_campaign(world, "mental_health.phq8")
    for topic, n in (("study", 6), ("family", 2), ("feelings", 7)):
        db.session.add_all([Case(school_id=world.school_a.id, topic=topic, source="self_referral",
                                 anonymous=True) for _ in range(n)])
    db.session.commit()
    with force_locale("en"):
        rows = {r[0].split(" — ")[-1]: r[3] for r in indicator_rows(campaign, world.dept, tmp_path)}
    assert rows["Feelings and worries"] == 7
    # family (2) is under 5; study (6), the next smallest, is hidden too, or 15 - 7 - 6 would reveal it
    assert isinstance(rows["Family"], str) and isinstance(rows["School work and exams"], str)
    assert rows["Family"] == "hidden: fewer than 5 answers"
    assert rows["School work and exams"] == "hidden so that a small group cannot be worked out"


def test_every_indicator_says_how_it_is_computed_in_both_languages():
    from surveyapp.export import indicator_catalogue
    for entry in indicator_catalogue()["indicators"]:
        computed = entry.get("computed") or {}
        assert computed.get("vi") and computed.get("en"), entry["key"]
        assert "÷" in computed["vi"] or entry.get("count"), entry["key"]   # a share names its denominator


def test_the_indicators_sheet_says_how_each_figure_is_computed_with_the_campaigns_population(world, tmp_path):
    campaign = open_campaign(world, "school_dialogue.dialogue")
    add_responses(campaign, world.school_a, world.class_a6, 12)
    for locale, words in (("en", ("grades 6–12", "÷", "Lower secondary school")),
                          ("vi", ("khối 6–12", "÷", "Trung học cơ sở"))):
        with force_locale(locale):
            path = build_workbook(campaign, world.dept, tmp_path / f"{locale}.xlsx", ExportOptions(locale=locale))
        book = load_workbook(path)
        sheet = book["Indicators" if locale == "en" else "Chỉ tiêu thống kê"]
        header = [cell.value for cell in sheet[2]]
        column = header.index("How computed" if locale == "en" else "Cách tính")
        how = [row[column].value for row in sheet.iter_rows(min_row=3)]
        assert len(how) == 1 and all(word in how[0] for word in words), (locale, how)
