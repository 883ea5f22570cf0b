"""Display labels for the stored codes (translated; the database keeps the plain codes)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l, lazy_pgettext

LABELS = {
    "status": {"new": _l("New"), "contacted": _l("Contacted"), "in_progress": _l("In progress"),
               "closed": _l("Closed")},
    "topic": {"study": _l("School work and exams"), "relationships": _l("Friends, bullying, relationships"),
              "feelings": _l("Feelings and worries"), "family": _l("Family"),
              "safety": _l("Someone is hurting me or I do not feel safe"), "career": _l("Future and careers"),
              "other": _l("Something else")},
    "urgency": {"normal": _l("Whenever the counsellor can"), "soon": _l("In the next few days"),
                "urgent": _l("Urgent: I need help now")},
    "source": {"self_referral": _l("Asked for help"), "screening_offer": _l("After an anonymous screening"),
               "confidential_screening": _l("Confidential screening")},
    "form": {"in_person": _l("In person"), "phone": lazy_pgettext("mental_health", "Phone"), "online": _l("Online")},
    "referral": {"none": _l("No outside referral"), "health": _l("Health service"),
                 "social_work": _l("Social work service"), "hotline_111": _l("Hotline 111")},
    "consent": {"child_and_parent": _l("The student and a parent or guardian agreed"),
                "child_parent_pending": _l("The student agreed; the parent or guardian has not been asked yet"),
                "adult_student": _l("The student is 18 or older and agreed")},
    "reason": {"screening_risk": _l("A screening answer about self-harm or suicide"),
               "urgent_request": _l("An urgent request for help")},
}


def label(kind: str, code) -> str:
    return str(LABELS.get(kind, {}).get(code, code if code is not None else "–"))
