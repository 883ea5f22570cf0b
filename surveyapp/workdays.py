"""The working calendar: Monday to Friday minus the public holidays in data/holidays_vn.txt,
and working hours within those days (deadlines, escalation of unanswered alerts)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

HOLIDAYS_FILE = Path(__file__).parent / "data" / "holidays_vn.txt"
DEFAULT_HOURS = (dt.time(7, 0), dt.time(17, 0))


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


def add_working_days(start: dt.date, days: int, off: frozenset[dt.date] | None = None) -> dt.date:
    """The date ``days`` working days after ``start`` (the start day does not count)."""
    current, left = start, days
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current, off):
            left -= 1
    return current


def working_days_between(start: dt.date, end: dt.date, off: frozenset[dt.date] | None = None) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        count += is_working_day(current, off)
    return count


def parse_hours(text: str | None) -> tuple[dt.time, dt.time]:
    """'07:00-17:00' -> (07:00, 17:00); the default when empty."""
    if not text:
        return DEFAULT_HOURS
    begin, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-", 1))
    if not begin < end:
        raise ValueError(f"working hours {text!r}: the start must be before the end")
    return begin, end


def add_working_hours(start_utc: dt.datetime, hours: float, *, zone: str = "Asia/Ho_Chi_Minh",
                      day: tuple[dt.time, dt.time] = DEFAULT_HOURS,
                      off: frozenset[dt.date] | None = None) -> dt.datetime:
    """The (naive UTC) moment ``hours`` working hours after ``start_utc`` (naive UTC).

    Time outside working hours, at weekends and on holidays does not count: an alert raised
    on Friday evening is due on Monday morning plus the hours."""
    tz = ZoneInfo(zone)
    local = start_utc.replace(tzinfo=dt.timezone.utc).astimezone(tz)
    left = dt.timedelta(hours=hours)
    while True:
        opens = local.replace(hour=day[0].hour, minute=day[0].minute, second=0, microsecond=0)
        closes = local.replace(hour=day[1].hour, minute=day[1].minute, second=0, microsecond=0)
        if is_working_day(local.date(), off) and local < closes:
            local = max(local, opens)
            if local + left <= closes:
                return (local + left).astimezone(dt.timezone.utc).replace(tzinfo=None)
            left -= closes - local
        local = (opens + dt.timedelta(days=1))
