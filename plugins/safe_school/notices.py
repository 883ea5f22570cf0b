"""This module's notifications: the reviewer hears of a submitted assessment; the school's
admins hear that theirs was returned, recognised or refused (never the comments themselves)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp import notify
from surveyapp.access import ADMIN

from .models import RECOGNISED, REFUSED, RETURNED, SUBMITTED

SUBMITTED_KIND = notify.NotificationKind(
    "safe_school.submitted", subject=_l("Safe-school self-assessment to review: %(school)s"),
    body=_l("%(school)s has submitted its safe-school self-assessment for your review. "
            "Please sign in to review it:\n%(link)s"),
    label=_l("A safe-school self-assessment was submitted for review"))
RETURNED_KIND = notify.NotificationKind(
    "safe_school.returned", subject=_l("Safe-school self-assessment returned for changes: %(school)s"),
    body=_l("The safe-school self-assessment of %(school)s was returned for changes. "
            "Please sign in to see the reviewer's comments:\n%(link)s"),
    label=_l("Your safe-school self-assessment was returned for changes"))
RECOGNISED_KIND = notify.NotificationKind(
    "safe_school.recognised", subject=_l("Safe-school self-assessment recognised: %(school)s"),
    body=_l("The safe-school self-assessment of %(school)s was recognised. Please sign in to see it:\n%(link)s"),
    label=_l("Your safe-school self-assessment was recognised"))
REFUSED_KIND = notify.NotificationKind(
    "safe_school.refused", subject=_l("Safe-school self-assessment not recognised: %(school)s"),
    body=_l("The safe-school self-assessment of %(school)s was not recognised. "
            "Please sign in to see the reasons:\n%(link)s"),
    label=_l("Your safe-school self-assessment was not recognised"))
KINDS = [SUBMITTED_KIND, RETURNED_KIND, RECOGNISED_KIND, REFUSED_KIND]
TO_SCHOOL = {RETURNED: RETURNED_KIND, RECOGNISED: RECOGNISED_KIND, REFUSED: REFUSED_KIND}


def status_changed(assessment, status: str) -> None:
    params = {"school": assessment.school_id}
    if status == SUBMITTED and assessment.reviewer_org is not None:
        notify.enqueue(SUBMITTED_KIND.id, notify.holders(assessment.reviewer_org, ADMIN),
                       org=assessment.reviewer_org, params={**params, "link": f"/safe_school/a/{assessment.id}/review"})
    elif status in TO_SCHOOL:
        notify.enqueue(TO_SCHOOL[status].id, notify.holders(assessment.school, ADMIN), org=assessment.school,
                       params={**params, "link": f"/safe_school/a/{assessment.id}"})
