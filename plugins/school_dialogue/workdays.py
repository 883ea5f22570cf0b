"""Reply deadlines on the core's working calendar (surveyapp.workdays)."""
from __future__ import annotations

import datetime as dt

from surveyapp import workdays

REPLY_WORKING_DAYS = 7  # NĐ 56/2017/NĐ-CP Đ53


def add_working_days(start: dt.date, days: int = REPLY_WORKING_DAYS, off: frozenset[dt.date] | None = None) -> dt.date:
    """The date ``days`` working days after ``start`` (the day received does not count)."""
    return workdays.add_working_days(start, days, off)


def reply_state(due: dt.date, answered_on: dt.date | None, on: dt.date | None = None) -> str:
    """'answered', 'overdue' or 'due'."""
    if answered_on is not None:
        return "answered"
    return "overdue" if (on or dt.date.today()) > due else "due"
