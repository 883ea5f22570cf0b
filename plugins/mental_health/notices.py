"""This module's notifications: an urgent alert tells the school's counsellors at once and
escalates (surveyapp.notify) until a counsellor records how it was handled."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp import notify

ALERT = notify.NotificationKind(
    "mental_health.alert", urgent=True,
    subject=_l("Urgent matter at %(school)s"),
    body=_l("There is an urgent matter at %(school)s that needs a counsellor today. For confidentiality "
            "this message gives no details; please sign in to see it and record what was done:\n%(link)s"),
    label=_l("Urgent alert for the school's counsellors"))
KINDS = [ALERT]


def subject_key(alert) -> str:
    return f"mental_health_alert:{alert.id}"


def alert_raised(alert) -> None:
    notify.raise_urgent(ALERT.id, alert.case.school, subject_key(alert), f"/mental-health/case/{alert.case_id}",
                        anonymous=alert.case.anonymous)


def alert_handled(alert, user) -> None:
    notify.acknowledge(subject_key(alert), user)
