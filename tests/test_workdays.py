"""The core's working calendar: working days (holidays file) and working hours (escalation clock)."""
from __future__ import annotations

import datetime as dt

import pytest

from surveyapp.workdays import add_working_days, add_working_hours, holidays, parse_hours, working_days_between

VN = dt.timedelta(hours=7)


def utc(local: str) -> dt.datetime:
    """A Vietnam wall-clock time as the naive UTC the database stores."""
    return dt.datetime.fromisoformat(local) - VN


def test_hours_left_on_friday_evening_carry_over_to_monday_morning():
    # Friday 2026-03-06 16:00: one hour left that day, three more from Monday 07:00.
    assert add_working_hours(utc("2026-03-06 16:00"), 4) == utc("2026-03-09 10:00")


def test_nights_weekends_and_holidays_do_not_count():
    assert add_working_hours(utc("2026-03-10 21:30"), 4) == utc("2026-03-11 11:00")   # raised at night
    assert add_working_hours(utc("2026-03-07 09:00"), 4) == utc("2026-03-09 11:00")   # raised on Saturday
    # Tết 2026 (16-20 February, in the holidays file): raised the Friday before, due the Monday after.
    assert dt.date(2026, 2, 16) in holidays()
    assert add_working_hours(utc("2026-02-13 15:00"), 4) == utc("2026-02-23 09:00")


def test_a_deadline_may_end_exactly_at_closing_time_and_hours_may_span_days():
    assert add_working_hours(utc("2026-03-09 13:00"), 4) == utc("2026-03-09 17:00")
    assert add_working_hours(utc("2026-03-09 07:00"), 25) == utc("2026-03-11 12:00")


def test_configured_hours_are_checked():
    assert parse_hours("07:30-11:30") == (dt.time(7, 30), dt.time(11, 30))
    assert add_working_hours(utc("2026-03-09 11:00"), 1, day=parse_hours("07:30-11:30")) == utc("2026-03-10 08:00")
    with pytest.raises(ValueError):
        parse_hours("17:00-07:00")


def test_working_days_for_reply_deadlines():
    assert add_working_days(dt.date(2026, 3, 6), 2) == dt.date(2026, 3, 10)
    assert working_days_between(dt.date(2026, 3, 6), dt.date(2026, 3, 10)) == 2
    assert working_days_between(dt.date(2026, 3, 10), dt.date(2026, 3, 6)) == 0
