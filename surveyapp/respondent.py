"""The anonymous respondent side: drafts on one device, one-time tokens, idempotent submission.

What an anonymous response row holds: campaign, questionnaire version, school,
class and grade of the access code used, the answers, the scores, and the date.
Never an account, IP address, user agent, token or time of day.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.local import LocalProxy

from . import get_registry, sentmarks, traces
from .campaigns import definition_of, extra_definition
from .extensions import db
from .models import (RESPONSE_SUBMITTED, AccessCode, Campaign, ClassGroup, OneTimeToken, OrgUnit,
                     QuestionnaireVersion, RespondentDraft, Response, SentMark, random_id, today)
from .questionnaire import AnswerError, Definition, check_answers, evaluate
from .scoring import ScoreResult, ScoringError, score
from .storage import response_values, result_values


class SubmissionBusy(RuntimeError):
    """The database stayed locked after retries; the answers are kept in the draft."""


@dataclass
class Submitted:
    response_id: int | None
    result: ScoreResult | None
    duplicate: bool = False
    response: Response | None = None


def slip_hash(code: AccessCode, token: str) -> str:
    """Slip tokens are few (23^8); a keyed hash stops anyone without the server secret
    from trying them all against the table."""
    return sentmarks.keyed("slip", code.id, token)


# The rows as entities of one plain join, linked by hand: a third of the cost of joined
# eager loading, and this runs on every student request.
_FIND_CODE = (select(AccessCode, Campaign, QuestionnaireVersion, OrgUnit)
              .join(Campaign, AccessCode.campaign_id == Campaign.id)
              .join(QuestionnaireVersion, Campaign.qversion_id == QuestionnaireVersion.id)
              .join(OrgUnit, AccessCode.school_id == OrgUnit.id)
              .where(AccessCode.code == bindparam("code"), AccessCode.active.is_(True)))
_FIND_CODE_AND_DRAFT = (_FIND_CODE.add_columns(RespondentDraft)
                        .outerjoin(RespondentDraft, and_(RespondentDraft.id == bindparam("draft_id"),
                                                         RespondentDraft.access_code_id == AccessCode.id)))


def find_code(code: str) -> AccessCode | None:
    """The active code with its campaign, version row and school in one query (the student hot path)."""
    row = db.session.execute(_FIND_CODE, {"code": code}).first()
    return _linked(*row) if row is not None else None


def find_code_and_draft(code: str, cookie_id: str) -> tuple[AccessCode | None, RespondentDraft | None]:
    """As find_code, with this device's draft for the code (None if gone or another code's)."""
    row = db.session.execute(_FIND_CODE_AND_DRAFT, {"code": code, "draft_id": draft_key(cookie_id)}).first()
    return (None, None) if row is None else (_linked(*row[:4]), row[4])


def _linked(access: AccessCode, campaign: Campaign, qversion: QuestionnaireVersion, school: OrgUnit) -> AccessCode:
    set_committed_value(access, "campaign", campaign)
    set_committed_value(campaign, "qversion", qversion)
    set_committed_value(access, "school", school)
    return access


def draft_key(cookie_id: str) -> str:
    """The draft's row id: a keyed hash of the random id in the device's cookie, so the
    table never holds the cookie's value (a copy of the database cannot be matched to a phone)."""
    return sentmarks.keyed("draft", cookie_id)


def new_draft(code: AccessCode, locale: str | None) -> tuple[RespondentDraft, str]:
    """A new draft and the random id the device keeps for it (only its keyed hash is stored)."""
    cookie_id = secrets.token_urlsafe(32)
    draft = RespondentDraft(id=draft_key(cookie_id), access_code_id=code.id, answers={}, page=0,
                            locale=locale, updated_on=today())
    db.session.add(draft)
    db.session.commit()
    return draft, cookie_id


def issue_tokens(code: AccessCode, count: int) -> list[str]:
    """Create ``count`` one-time tokens; only their hashes are stored, so print them now."""
    tokens = []
    for _ in range(count):
        token = "".join(secrets.choice("ACDEFHJKMNPQRTUVWXY3479") for _ in range(8))
        db.session.add(OneTimeToken(token_hash=slip_hash(code, token), access_code_id=code.id))
        tokens.append(token)
    db.session.commit()
    return tokens


def redeem_token(code: AccessCode, token: str) -> bool:
    """Mark a token used, in its own transaction, before answering starts.

    The token row is updated long before the response is written, and nothing
    links the two, so no one can tell which response came from which token."""
    token = "".join(ch for ch in token.upper() if ch.isalnum())
    result = db.session.execute(
        update(OneTimeToken).where(OneTimeToken.token_hash == slip_hash(code, token),
                                   OneTimeToken.used.is_(False)).values(used=True))
    db.session.commit()
    traces.anonymous_write()
    return result.rowcount == 1


def merge_answers(saved: dict | None, kept: dict[str, Any]) -> dict[str, Any]:
    """The draft's answers with one page's posted values applied (None clears an answer)."""
    answers = dict(saved or {})
    for item_id, value in kept.items():
        if value is None:
            answers.pop(item_id, None)
        else:
            answers[item_id] = value
    return answers


def save_draft(draft: RespondentDraft, kept: dict[str, Any], page: int) -> None:
    draft.answers = merge_answers(draft.answers, kept)
    draft.page = page
    draft.updated_on = today()
    db.session.commit()


def submit(draft: RespondentDraft, raw_answers: dict[str, Any] | None = None,
           posted: dict[str, Any] | None = None) -> Submitted:
    """Validate, score and store the response, then delete the draft, in one transaction.

    ``raw_answers`` defaults to the draft's; ``posted`` is the last page's values (its
    post mark). A send key already used makes this a duplicate (nothing stored). Raises
    AnswerError or SubmissionBusy; the caller then saves the draft, so nothing typed is lost."""
    code = draft.access_code
    definition = definition_of(code.campaign)
    raw = draft.answers if raw_answers is None else raw_answers
    answers, extra = split_answers(definition, extra_definition(code.campaign, code.school_id), raw or {})
    result = score_answers(definition, answers, code)
    row = response_row(code, definition, answers, result, {"extra": extra} if extra else None)
    marks = sentmarks.mark_rows(sentmarks.send_key(draft.id), posted or {}, result.risk)
    draft_id = draft.id
    for attempt in range(3):
        try:
            response_id = _insert(row, draft_id, marks)
            traces.anonymous_write()
            return Submitted(response_id, result, response=_stored_response(response_id))
        except IntegrityError:
            db.session.rollback()
            return Submitted(None, result, duplicate=True)
        except OperationalError as exc:  # SQLite "database is locked" after the busy timeout
            db.session.rollback()
            current_app.logger.warning("submission retry %s: %s", attempt + 1, exc.__class__.__name__)
    raise SubmissionBusy()


def response_row(code: AccessCode, definition: Definition, answers: dict, result: ScoreResult,
                 notes: dict | None = None) -> dict[str, Any]:
    """The stored row: where (school, class, grade), what, and the date. Nothing else."""
    campaign = code.campaign
    row = {"id": random_id(), "campaign_id": campaign.id, "qversion_id": campaign.qversion_id,
           "school_id": code.school_id, "class_group_id": code.class_group_id, "grade": code.grade,
           "status": RESPONSE_SUBMITTED, "submitted_on": today(),
           **response_values(definition, answers), **result_values(result)}
    if notes:
        row["notes"] = notes
    return row


def store_risk_page(code: AccessCode, posted: dict[str, Any], send: str | None) -> Submitted:
    """A page holding a risk answer arrived with no draft to add it to (a second tab, a
    draft already sent or gone): store it as a response of its own, once per distinct page."""
    definition = definition_of(code.campaign)
    raw = {k: v for k, v in posted.items() if k in definition.items and v is not None}
    answers = check_answers(definition, raw, partial=True)
    result = _score_partial(definition, answers, code)
    row = response_row(code, definition, answers, result, {"partial": True})
    connection = db.session.connection()
    if send:
        used = sentmarks.find(sentmarks.used_key(send))
        marks = sentmarks.mark_rows(send, posted, True)
        connection.execute(sentmarks.INSERT_MARKS, marks[1:] if used else marks)
        if used is not None:
            sentmarks.remember_help(send)
    response_id = connection.execute(_INSERT_RESPONSE, row).scalar_one()
    db.session.commit()
    traces.anonymous_write()
    return Submitted(response_id, result, response=_stored_response(response_id))


def _score_partial(definition: Definition, answers: dict[str, Any], code: AccessCode) -> ScoreResult:
    """Scales need every item; risk rules need only theirs. A part-page keeps its risk flags."""
    try:
        return score_answers(definition, answers, code)
    except ScoringError:
        scoring = definition.model.scoring
        rules = [rule.id for rule in (scoring.risk if scoring else []) if evaluate(rule.when, answers)]
        return ScoreResult(risk=bool(rules), risk_rules=rules, needs_review=True)


def split_answers(definition: Definition, extra: Definition | None, raw: dict[str, Any]) -> tuple[dict, dict]:
    """Check the core answers and the school's own ones separately (raises AnswerError with both)."""
    errors: dict[str, str] = {}
    core_raw = {k: v for k, v in raw.items() if k in definition.items}
    extra_raw = {k: v for k, v in raw.items() if extra is not None and k in extra.items}
    results = []
    for part, values in ((definition, core_raw), (extra, extra_raw)):
        if part is None:
            results.append({})
            continue
        try:
            results.append(check_answers(part, values))
        except AnswerError as exc:
            errors.update(exc.errors)
    if errors:
        raise AnswerError(errors)
    return results[0], results[1]


def token_counts(code_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per access code: (tokens issued, tokens used)."""
    if not code_ids:
        return {}
    rows = db.session.execute(select(OneTimeToken.access_code_id, OneTimeToken.used, func.count(OneTimeToken.id))
                              .where(OneTimeToken.access_code_id.in_(code_ids))
                              .group_by(OneTimeToken.access_code_id, OneTimeToken.used)).all()
    counts: dict[int, list[int]] = {}
    for code_id, used, n in rows:
        pair = counts.setdefault(code_id, [0, 0])
        pair[0] += n
        pair[1] += n if used else 0
    return {k: (v[0], v[1]) for k, v in counts.items()}


def classes_over_size(campaign_id: int, school_id: int) -> set[int]:
    """Classes with more responses than students: one device answering many times, or a
    code passed beyond its class. The school is told; nothing says which responses."""
    rows = db.session.execute(
        select(ClassGroup.id).join(Response, Response.class_group_id == ClassGroup.id)
        .where(Response.campaign_id == campaign_id, Response.school_id == school_id,
               Response.status == RESPONSE_SUBMITTED, ClassGroup.size > 0)
        .group_by(ClassGroup.id, ClassGroup.size).having(func.count(Response.id) > ClassGroup.size)).scalars()
    return set(rows)


_INSERT_RESPONSE = insert(Response).returning(Response.id)
_DELETE_DRAFT = delete(RespondentDraft).where(RespondentDraft.id == bindparam("draft_id"))
_INSERT_MARKS = insert(SentMark).values([
    {"key": bindparam("used_key"), "help": bindparam("mark_help"), "expires_on": bindparam("mark_expires")},
    {"key": bindparam("post_key"), "help": bindparam("mark_help"), "expires_on": bindparam("mark_expires")}])
# PostgreSQL runs all three as one statement (data-modifying CTEs): no extra round trip on
# a submission. SQLite allows only SELECT in a CTE.
_INSERT_RESPONSE_DELETE_DRAFT = (_INSERT_RESPONSE.add_cte(_DELETE_DRAFT.cte("sent_draft"))
                                 .add_cte(_INSERT_MARKS.cte("sent_marks")))


def _insert(row: dict[str, Any], draft_id: str, marks: list[dict[str, Any]]) -> int:
    """One transaction: the send marks in (a used send key fails here: a duplicate), the
    response in, the draft out.

    Core statements on the session's connection (compiled once per worker, no ORM
    unit of work), and the request's loaded objects are not expired by this commit:
    they are still read afterwards (hooks, the redirect) and this transaction does
    not change them."""
    session = db.session()
    connection = session.connection()
    mark_params = {"used_key": marks[0]["key"], "post_key": marks[1]["key"], "mark_help": marks[0]["help"],
                   "mark_expires": marks[0]["expires_on"]}
    if connection.dialect.name == "postgresql":
        response_id = connection.execute(_INSERT_RESPONSE_DELETE_DRAFT,
                                         {**row, "draft_id": draft_id, **mark_params}).scalar_one()
    else:
        connection.execute(_INSERT_MARKS, mark_params)
        response_id = connection.execute(_INSERT_RESPONSE, row).scalar_one()
        connection.execute(_DELETE_DRAFT, {"draft_id": draft_id})
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    return response_id


def _stored_response(response_id: int) -> Response:
    """The row just inserted, read back only if a hook uses it (most submissions need no
    second read): a proxy that loads it on first attribute access."""
    loaded: list[Response] = []

    def load() -> Response:
        if not loaded:
            loaded.append(db.session.get(Response, response_id))
        return loaded[0]
    return LocalProxy(load)


def score_answers(definition: Definition, answers: dict[str, Any], code: AccessCode | None = None,
                  context: dict[str, Any] | None = None) -> ScoreResult:
    """Score with the plugins' override or the data rule; ``context`` (e.g. a staff form's
    school facility type) is used when given, else it is taken from the access code's school."""
    registry = get_registry()
    override = registry.hook.score_response(questionnaire=definition, answers=answers)
    if override is not None:
        return override
    if context is None:
        context = {"facility_type": code.school.facility_type} if code is not None else {}
    return score(definition, answers, methods=registry.scoring_methods, context=context)


__all__ = ["AnswerError", "SubmissionBusy", "Submitted", "find_code", "find_code_and_draft", "draft_key", "new_draft",
           "issue_tokens", "redeem_token", "merge_answers", "save_draft", "submit", "store_risk_page",
           "score_answers", "split_answers", "token_counts"]
