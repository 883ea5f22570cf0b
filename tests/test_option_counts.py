"""Packed option counts (``surveyapp.option_counts``) must give exactly what one COUNT per option gives.

Each item's counts travel in one SUM as fields of a positional number. The attacks: a group too big
for its fields (a school of 4,100), fields shrunk so that every group overflows them, a value written
behind the answer checks' back, and hypothesis over option sets, gaps, blanks and group sizes. Every
figure is compared with a count made in Python from the rows themselves, on the database under test.
"""
from __future__ import annotations

import logging
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, update

from surveyapp import option_counts
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, Response
from surveyapp.option_counts import count_plan, counted
from surveyapp.orgs import add_unit
from surveyapp.questionnaire import load_data
from test_reports_world import ReportWorld

WIDE = list(range(0, 21))          # a 0-20 scale: 21 fields, packed only while fields are at most 3 bits
ITEMS = {                           # item id -> (type, option values)
    "agree": ("likert", [1, 2, 3, 4, 5]),
    "gappy": ("single_choice", [-1, 0, 2, 3]),   # a gap and a negative lowest value
    "wide": ("single_choice", WIDE),
    "ticks": ("multi_choice", [0, 1, 2, 3]),
}


def _definition():
    items = [{"id": item_id, "type": kind, "required": False, "text": {"vi": item_id, "en": item_id},
              "options": [{"value": v, "text": {"vi": str(v), "en": str(v)}} for v in values]}
             for item_id, (kind, values) in ITEMS.items()]
    return load_data({"schema_version": 1, "id": "test.counts", "version": "1", "locales": ["vi", "en"],
                      "title": {"vi": "Đếm", "en": "Counts"}, "source": "test", "licence": "CC0-1.0",
                      "sections": [{"id": "s", "title": {"vi": "Phần", "en": "Part"}, "items": items}]},
                     "test.counts")


DEFINITION = _definition()
SLOT = {item_id: f"v{info.slot}" for item_id, info in DEFINITION.items.items()}


def _answer(item_id: str, rng: random.Random):
    kind, values = ITEMS[item_id]
    if kind == "multi_choice":
        return sum(1 << v for v in values if rng.random() < 0.5)
    return rng.choice(values)


@pytest.fixture
def world(ctx):
    w = ReportWorld()
    w.counts_campaign = w.new_campaign("Đếm")
    return w


def _insert(world, school, answers: list[dict]) -> None:
    base = {"campaign_id": world.counts_campaign.id, "qversion_id": world.counts_campaign.qversion_id,
            "school_id": school.id, "status": RESPONSE_SUBMITTED, "risk": False, "needs_review": False,
            "scores": {}, "texts": {}, "notes": {}}
    if answers:
        db.session.execute(insert(Response), [{**base, **{SLOT[i]: v for i, v in row.items()}} for row in answers])
    db.session.commit()


def _by_hand(answers: list[dict]) -> dict[str, tuple[int, dict]]:
    out = {}
    for item_id, (kind, values) in ITEMS.items():
        given_ = [row.get(item_id) for row in answers if row.get(item_id) is not None]
        if kind == "multi_choice":
            counts = {v: sum(1 for mask in given_ if mask & (1 << v)) for v in values}
        else:
            counts = {v: given_.count(v) for v in values}
        out[item_id] = (len(given_), counts)
    return out


def _counted(world, by=Response.school_id) -> dict:
    return counted(DEFINITION, (by,), [Response.campaign_id == world.counts_campaign.id],
                   lambda item_id, n, counts, scaled: (n, counts))


def test_the_plan_packs_scales_and_keeps_ticks_plain():
    plan = count_plan(DEFINITION)
    shifts = {item.item_id: item.shifts for item in plan.items}
    assert shifts == {"agree": (0, 12, 24, 36, 48), "gappy": (0, 12, 36, 48), "wide": None,  # 21 x 12 > 63
                      "ticks": None}
    assert len(plan.columns) == 2 + 2 + (1 + 21) + (1 + 4)
    assert count_plan(DEFINITION, 3).items[2].shifts[-1] == 60  # 21 x 3 bits = 63: the wide scale packs


def test_a_school_bigger_than_a_field_is_counted_exactly(world, caplog):
    """4,100 answers of "1" overflow a 12-bit field into the next option's: the scan must widen its
    fields (not merely notice that they no longer add up and fall back to one COUNT per option)."""
    rows = [{"agree": 1}] * 4100 + [{"agree": 2}] * 3
    _insert(world, world.school_a, rows)
    with caplog.at_level(logging.ERROR):
        assert _counted(world)[world.school_a.id]["agree"] == (4103, {1: 4100, 2: 3, 3: 0, 4: 0, 5: 0})
    assert "option counts" not in caplog.text


def test_a_city_of_schools_that_each_fit_is_counted_as_one_group(world, caplog):
    """36,000 answers of the top option in one group: 36,000 x 2**48 is past 2**63, which broke the
    sum itself (PostgreSQL: bigint out of range; SQLite: integer overflow) while every school, at
    3,000, fits its fields. The city's figure must come from its schools' fields, added up."""
    schools = [add_unit(code=f"Z{i:02}", name=f"THCS Z{i:02}", kind="school", parent=world.ward, levels=["thcs"])
               for i in range(12)]
    db.session.commit()
    for school in schools:
        _insert(world, school, [{"agree": 5}] * 3000)
    _insert(world, world.school_a, [{"agree": 1}] * 7 + [{"agree": None}] * 2)
    with caplog.at_level(logging.ERROR):
        city = _counted(world, by=Response.campaign_id)
    assert city == {world.counts_campaign.id: _by_hand([{"agree": 5}] * 36000 + [{"agree": 1}] * 7)}
    assert "option counts" not in caplog.text  # no second scan: the schools' fields were exact


def test_a_school_past_the_64_bit_sum_is_counted_the_plain_way(world):
    """One school of 33,000 answers of the top option: its packed sum passes 2**63 (SQLite raises,
    PostgreSQL's sum is exact and the school too big for any field width): one COUNT per option."""
    _insert(world, world.school_c, [{"agree": 5}] * 33000)
    assert _counted(world)[world.school_c.id]["agree"] == (33000, {1: 0, 2: 0, 3: 0, 4: 0, 5: 33000})


def test_a_value_written_behind_the_checks_is_counted_the_plain_way(world, caplog):
    """A 6 on a 1-5 scale lands in no option's field: the fields no longer add up to n, and the
    scan runs again one COUNT per option (which ignores the 6, as it always did) and logs it."""
    rng = random.Random(3)
    rows = [{item_id: _answer(item_id, rng) for item_id in ITEMS} for _ in range(20)]
    _insert(world, world.school_c, rows)
    db.session.execute(update(Response).where(Response.campaign_id == world.counts_campaign.id,
                                              getattr(Response, SLOT["agree"]) == rows[0]["agree"])
                       .values({SLOT["agree"]: 6}))
    db.session.commit()
    expected = _by_hand(rows)
    n, counts = expected["agree"]
    counts[rows[0]["agree"]] = 0
    with caplog.at_level(logging.ERROR):
        assert _counted(world)[world.school_c.id]["agree"] == (n, counts)
    assert "do not add up" in caplog.text


answer_rows = st.lists(st.fixed_dictionaries({
    item_id: st.one_of(st.none(), st.sets(st.sampled_from(values)).map(lambda s: sum(1 << v for v in s))
                       if kind == "multi_choice" else st.sampled_from(values))
    for item_id, (kind, values) in ITEMS.items()}), max_size=24)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(per_school=st.tuples(answer_rows, answer_rows, answer_rows), bits=st.sampled_from([1, 2, 3, 12]))
def test_packed_counts_equal_counts_made_by_hand(world, monkeypatch, caplog, per_school, bits):
    """Fields as narrow as 1 bit overflow in almost every group: widening must still be exact."""
    monkeypatch.setattr(option_counts, "FIELD_BITS", bits)
    db.session.execute(Response.__table__.delete().where(Response.campaign_id == world.counts_campaign.id))
    schools = (world.school_a, world.school_c, world.school_e)
    for school, rows in zip(schools, per_school):
        _insert(world, school, rows)
    with caplog.at_level(logging.ERROR):
        found, whole = _counted(world), _counted(world, by=Response.campaign_id)
    assert "option counts" not in caplog.text
    assert found == {school.id: _by_hand(rows) for school, rows in zip(schools, per_school) if rows}
    every_row = [row for rows in per_school for row in rows]
    assert whole == ({world.counts_campaign.id: _by_hand(every_row)} if every_row else {})
