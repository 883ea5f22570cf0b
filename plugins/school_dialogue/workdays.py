"""Working days for reply deadlines: Monday to Friday, minus the public holidays in data/holidays_vn.txt."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

HOLIDAYS_FILE = Path(__file__).parent / "data" / "holidays_vn.txt"
REPLY_WORKING_DAYS = 7  # NĐ 56/2017/NĐ-CP Đ53


@lru_cache(maxsize=1)
def holidays() -> frozenset[dt.date]:
    days = set()
    for line in HOLIDAYS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            days.add(dt.date.fromisoformat(line))
    return frozenset(days)


def is_working_day(day: dt.date, off: frozenset[dt.date] | None = None) -> bool:
    return day.weekday() < 5 and day not in (holidays() if off is None else off)


def add_working_days(start: dt.date, days: int = REPLY_WORKING_DAYS, off: frozenset[dt.date] | None = None) -> dt.date:
    """The date ``days`` working days after ``start`` (the day received does not count)."""
    current, left = start, days
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current, off):
            left -= 1
    return current


def reply_state(due: dt.date, answered_on: dt.date | None, on: dt.date | None = None) -> str:
    """'answered', 'overdue' or 'due'."""
    if answered_on is not None:
        return "answered"
    return "overdue" if (on or dt.date.today()) > due else "due"
