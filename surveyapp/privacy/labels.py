"""What a reader sees for a hidden figure, and the rule stated once per page and workbook."""
from __future__ import annotations

from flask_babel import gettext as _

from .suppress import COMPLEMENTARY


def reason_text(reason: str | None, k: int) -> str:
    if reason == COMPLEMENTARY:
        return _("hidden so that a small group cannot be worked out")
    return _("hidden: fewer than %(k)s answers", k=k)


def rule_text(k: int) -> str:
    if k <= 1:
        return _("Answered by staff for their school: each school's own assessment is shown, no minimum group.")
    return _("Results of any group with fewer than %(k)s answers are hidden (\"hidden: fewer than %(k)s answers\"). "
             "So is any other group from which a hidden one could be worked out by subtracting published "
             "figures, across units, schools, school levels, grades and classes (\"hidden so that a small group "
             "cannot be worked out\"); the same groups are hidden on every page and in every file. Response "
             "counts are always shown: they reveal no answers.", k=k)
