"""The self-assessment workflow: start, save one group, completeness, submit, review, evidence.

Pure domain code (no request objects): views hand in plain mappings. Saving a
group writes only that group's items, so staff working on different groups
never overwrite each other.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from flask import has_request_context
from flask_babel import get_locale, gettext as _, pgettext
from sqlalchemy import select

from surveyapp import audit
from surveyapp.extensions import db
from surveyapp.models import (RESPONSE_DRAFT, RESPONSE_SUBMITTED, Attachment, Campaign, OrgUnit, Response,
                              StaffAuthorship, today, utcnow)
from surveyapp.questionnaire import AnswerError, Definition, check_answers, check_value
from surveyapp.questionnaire.schema import CRITERION_NOT_MET, TEXT_TYPES
from surveyapp.respondent import score_answers
from surveyapp.storage import answers_of, definition_for, result_values

from . import notices
from .models import DRAFT, RECOGNISED, REFUSED, RETURNED, SUBMITTED, Assessment, AssessmentEvent
from .sets import reviewer_of

PLAN_FIELDS = ("action", "owner", "due")
MAX_COMMENT = 2000


class WorkflowError(ValueError):
    """A refused action; ``problems`` lists every reason in plain words."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class GroupState:
    section: Any
    total: int = 0
    done: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)   # (item id, what is missing)

    @property
    def complete(self) -> bool:
        return not self.missing


# -- reading -----------------------------------------------------------------------------

def find(campaign_id: int, school_id: int) -> Optional[Assessment]:
    return db.session.execute(select(Assessment).filter_by(campaign_id=campaign_id, school_id=school_id)
                              ).scalar_one_or_none()


def definition_of(assessment: Assessment) -> Definition:
    """The version the school answers: its own response's, never the current file."""
    return definition_for(assessment.response.qversion)


def answers(assessment: Assessment) -> dict[str, Any]:
    return answers_of(definition_of(assessment), assessment.response)


def notes(response: Response) -> dict[str, dict]:
    stored = response.notes or {}
    return {"comments": dict(stored.get("comments") or {}), "plans": dict(stored.get("plans") or {})}


def plan_complete(plan: Optional[dict]) -> bool:
    return bool(plan) and all(str(plan.get(key) or "").strip() for key in PLAN_FIELDS)


def group_states(definition: Definition, values: dict[str, Any], stored_notes: dict) -> list[GroupState]:
    """What is missing per group: unanswered items, and not-met criteria without a full plan."""
    states = []
    for section in definition.sections:
        state = GroupState(section)
        for item in section.items:
            if item.type in TEXT_TYPES or not item.required:
                continue
            state.total += 1
            value = values.get(item.id)
            if value is None:
                state.missing.append((item.id, _("no answer")))
            elif item.type == "criterion" and value == CRITERION_NOT_MET \
                    and not plan_complete(stored_notes["plans"].get(item.id)):
                state.missing.append((item.id, _("improvement plan (action, owner, due date)")))
            else:
                state.done += 1
        states.append(state)
    return states


def completeness(states: list[GroupState]) -> float:
    total = sum(s.total for s in states)
    return round(100.0 * sum(s.done for s in states) / total, 1) if total else 100.0


def attachments(assessment: Assessment) -> dict[str, list[Attachment]]:
    rows = db.session.execute(select(Attachment).filter_by(response_id=assessment.response_id)
                              .order_by(Attachment.id)).scalars()
    grouped: dict[str, list[Attachment]] = {}
    for row in rows:
        grouped.setdefault(row.item_id, []).append(row)
    return grouped


def review_comments(assessment: Assessment) -> dict[str, str]:
    """The reviewer's per-criterion comments from the last return for revision."""
    for event in reversed(assessment.events):
        if event.action == "return":
            return dict(event.item_comments or {})
    return {}


def _locale() -> str:
    return str(get_locale()) if has_request_context() else "vi"


# -- starting and saving -------------------------------------------------------------------

def start(campaign: Campaign, school: OrgUnit, user_id: Optional[int]) -> Assessment:
    """Open (or return) the school's assessment; wraps a response that exists without one."""
    existing = find(campaign.id, school.id)
    if existing:
        return existing
    response = db.session.execute(select(Response).filter_by(campaign_id=campaign.id, school_id=school.id)
                                  .order_by(Response.id).limit(1)).scalar_one_or_none()
    if response is None:
        response = Response(campaign_id=campaign.id, qversion_id=campaign.qversion_id, school_id=school.id,
                            status=RESPONSE_DRAFT, notes={}, texts={}, scores={})
        db.session.add(response)
        db.session.flush()
        db.session.add(StaffAuthorship(response_id=response.id, user_id=user_id))
    status = SUBMITTED if response.status == RESPONSE_SUBMITTED else DRAFT
    assessment = Assessment(campaign_id=campaign.id, school_id=school.id, response_id=response.id,
                            status=status, result=response.outcome if status == SUBMITTED else None,
                            reviewer_org=reviewer_of(school))
    db.session.add(assessment)
    db.session.flush()
    _event(assessment, user_id, "start", status)
    return assessment


def lock(assessment_id: int) -> Assessment:
    """Re-read the assessment under a row lock (PostgreSQL) so concurrent saves queue up."""
    return db.session.execute(select(Assessment).filter_by(id=assessment_id).with_for_update()).scalar_one()


def parse_group(definition: Definition, section_id: str, form: Mapping[str, str]):
    """Read one posted group: values, comments, plans and per-item errors (nothing saved)."""
    section = next((s for s in definition.sections if s.id == section_id), None)
    if section is None:
        raise WorkflowError([_("Unknown group.")])
    values, comments, plans, errors = {}, {}, {}, {}
    for item in section.items:
        raw = (form.get(item.id) or "").strip()
        try:
            values[item.id] = check_value(definition, item.id, raw) if raw else None
        except ValueError as exc:
            errors[item.id] = str(exc)
        if item.type == "criterion":
            comments[item.id] = (form.get(f"c__{item.id}") or "").strip()[:MAX_COMMENT]
            plans[item.id], problem = _parse_plan(form, item.id)
            if problem:
                errors[item.id] = problem
    return section, values, comments, plans, errors


def _parse_plan(form: Mapping[str, str], item_id: str) -> tuple[dict, Optional[str]]:
    plan = {"action": (form.get(f"pa__{item_id}") or "").strip()[:MAX_COMMENT],
            "owner": (form.get(f"po__{item_id}") or "").strip()[:200],
            "due": (form.get(f"pd__{item_id}") or "").strip()}
    if plan["due"]:
        try:
            plan["due"] = dt.date.fromisoformat(plan["due"]).isoformat()
        except ValueError:
            plan["due"] = ""
            return plan, _("the due date must be a date (YYYY-MM-DD)")
    return plan, None


def save_group(assessment: Assessment, section_id: str, form: Mapping[str, str], user_id: Optional[int]) -> dict:
    """Write the posted group's valid answers, comments and plans; return per-item errors."""
    assessment = lock(assessment.id)
    if not assessment.editable:
        raise WorkflowError([_("This assessment is locked (%(status)s).", status=status_label(assessment.status))])
    definition = definition_of(assessment)
    section, values, comments, plans, errors = parse_group(definition, section_id, form)
    response = assessment.response
    texts = dict(response.texts or {})
    for item_id, value in values.items():
        if item_id in errors:
            continue
        info = definition.items[item_id]
        if info.slot is None:
            _put(texts, item_id, value)
        else:
            setattr(response, f"v{info.slot}", value)
    stored = notes(response)
    for item_id in comments:
        _put(stored["comments"], item_id, comments[item_id] or None)
        _put(stored["plans"], item_id, plans[item_id] if any(plans[item_id].values()) else None)
    response.texts, response.notes = texts, stored
    assessment.updated_at = utcnow()
    return errors


def _put(target: dict, key: str, value: Any) -> None:
    if value:
        target[key] = value
    else:
        target.pop(key, None)


# -- submitting and reviewing ------------------------------------------------------------

def submit(assessment: Assessment, user_id: Optional[int]) -> Assessment:
    """Lock the assessment and compute its result by the set's rule (context: facility type)."""
    assessment = lock(assessment.id)
    if not assessment.editable:
        raise WorkflowError([_("This assessment is locked (%(status)s).", status=status_label(assessment.status))])
    definition = definition_of(assessment)
    response = assessment.response
    current = answers_of(definition, response)
    states = group_states(definition, current, notes(response))
    problems = [_("%(group)s: %(count)s missing", group=s.section.title.get(_locale()), count=len(s.missing))
                for s in states if s.missing]
    if problems:
        raise WorkflowError(problems)
    try:
        clean = check_answers(definition, current)
    except AnswerError as exc:
        raise WorkflowError([f"{item}: {message}" for item, message in exc.errors.items()]) from None
    result = score_answers(definition, clean, context={"facility_type": assessment.school.facility_type})
    for key, value in result_values(result).items():
        setattr(response, key, value)
    response.status, response.submitted_on = RESPONSE_SUBMITTED, today()
    action = "resubmit" if assessment.status == RETURNED else "submit"
    assessment.status, assessment.result = SUBMITTED, result.outcome
    assessment.reviewer_org = reviewer_of(assessment.school)
    assessment.updated_at = utcnow()
    _event(assessment, user_id, action, SUBMITTED, detail={"result": result.outcome, "total": result.total})
    return assessment


RECOGNISABLE = "dat"   # the outcome id both sets' rules give a school that meets the standard
DECISIONS = {"recognise": RECOGNISED, "return": RETURNED, "refuse": REFUSED}


def decide(assessment: Assessment, decision: str, user_id: Optional[int], comment: str = "",
           item_comments: Optional[dict[str, str]] = None) -> Assessment:
    """The reviewer recognises, returns for revision (comments per criterion) or refuses (with reasons)."""
    assessment = lock(assessment.id)
    if decision not in DECISIONS:
        raise WorkflowError([_("Unknown decision.")])
    if assessment.status != SUBMITTED:
        raise WorkflowError([_("Only a submitted assessment can be reviewed.")])
    comment = (comment or "").strip()[:MAX_COMMENT]
    item_comments = {k: v.strip()[:MAX_COMMENT] for k, v in (item_comments or {}).items() if v and v.strip()}
    if decision == "return" and not (comment or item_comments):
        raise WorkflowError([_("Say what must be revised: a comment on at least one criterion or overall.")])
    if decision == "recognise" and assessment.result != RECOGNISABLE:
        raise WorkflowError([_("Only an assessment whose result is “Đạt” can be recognised: return it or refuse it.")])
    if decision == "refuse" and not comment:
        raise WorkflowError([_("Give the reasons for refusing.")])
    status = DECISIONS[decision]
    assessment.status = status
    if status == RETURNED:
        assessment.response.status = RESPONSE_DRAFT
    assessment.updated_at = utcnow()
    _event(assessment, user_id, decision, status, comment, item_comments)
    return assessment


def _event(assessment: Assessment, user_id: Optional[int], action: str, status: str, comment: str = "",
           item_comments: Optional[dict] = None, detail: Optional[dict] = None) -> None:
    db.session.add(AssessmentEvent(assessment=assessment, user_id=user_id, action=action, status=status,
                                   comment=comment, item_comments=item_comments or {}, at=utcnow()))
    audit.record(f"safe_school.{action}", assessment, org_id=assessment.school_id, user_id=user_id,
                 campaign=assessment.campaign_id, status=status, **(detail or {}))
    if action != "start":
        notices.status_changed(assessment, status)  # in this transaction


# -- evidence ----------------------------------------------------------------------------

def check_evidence_item(assessment: Assessment, item_id: str) -> None:
    if not assessment.editable:
        raise WorkflowError([_("This assessment is locked (%(status)s).", status=status_label(assessment.status))])
    info = definition_of(assessment).items.get(item_id)
    if info is None or info.item.type != "criterion":
        raise WorkflowError([_("Evidence belongs to a criterion.")])


def add_link(assessment: Assessment, item_id: str, url: str, user_id: Optional[int]) -> Attachment:
    check_evidence_item(assessment, item_id)
    url = url.strip()
    if not (url.startswith("https://") or url.startswith("http://")) or len(url) > 1000 or " " in url:
        raise WorkflowError([_("A link must start with https:// or http://.")])
    row = Attachment(response_id=assessment.response_id, item_id=item_id, kind="link", url=url,
                     uploaded_by_id=user_id)
    db.session.add(row)
    return row


def add_file(assessment: Assessment, item_id: str, stored, user_id: Optional[int]) -> Attachment:
    """Record a file already checked and stored by ``surveyapp.uploads.save_upload``."""
    row = Attachment(response_id=assessment.response_id, item_id=item_id, kind="file", filename=stored.filename,
                     stored_name=stored.stored_name, mime=stored.mime, size=stored.size, sha256=stored.sha256,
                     uploaded_by_id=user_id)
    db.session.add(row)
    audit.record("safe_school.evidence", assessment, org_id=assessment.school_id, user_id=user_id,
                 item=item_id, sha256=stored.sha256)
    return row


# -- labels --------------------------------------------------------------------------------

def status_label(status: str) -> str:
    return {"not_started": _("not started"), "draft": pgettext("safe_school", "draft"), "submitted": _("submitted"),
            "returned": _("returned for revision"), "recognised": _("recognised"),
            "refused": _("refused")}.get(status, status)


def action_label(action: str) -> str:
    return {"start": _("started"), "submit": _("submitted"), "resubmit": _("resubmitted"),
            "return": _("returned for revision"), "recognise": _("recognised"),
            "refuse": _("refused")}.get(action, action)


def school_year(campaign: Campaign) -> str:
    """The school year a campaign belongs to (a year starts in August)."""
    day = campaign.opens_on or (campaign.created_at.date() if campaign.created_at else today())
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{first + 1}"


def outcome_label(definition: Definition, outcome: Optional[str], locale: str) -> str:
    if not outcome:
        return ""
    outcome_def = definition.model.scoring.outcome if definition.model.scoring else None
    label = outcome_def.labels.get(outcome) if outcome_def else None
    return label.get(locale) if label else outcome


__all__ = ["WorkflowError", "GroupState", "start", "save_group", "submit", "decide", "add_link", "add_file",
           "group_states", "completeness", "attachments", "review_comments", "status_label"]


def definition_of_campaign(campaign: Campaign) -> Definition:
    return definition_for(campaign.qversion)
