"""The anonymous respondent side: drafts on one device, one-time tokens, idempotent submission.

What an anonymous response row holds: campaign, questionnaire version, school,
class and grade of the access code used, the answers, the scores, and the date.
Never an account, IP address, user agent, token or time of day.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.local import LocalProxy

from . import get_registry
from .campaigns import definition_of, extra_definition
from .extensions import db
from .models import (RESPONSE_SUBMITTED, AccessCode, Campaign, OneTimeToken, OrgUnit, QuestionnaireVersion,
                     RespondentDraft, Response, today)
from .questionnaire import AnswerError, Definition, check_answers
from .scoring import ScoreResult, score
from .storage import response_values, result_values


class SubmissionBusy(RuntimeError):
    """The database stayed locked after retries; the answers are kept in the draft."""


@dataclass
class Submitted:
    response_id: int | None
    result: ScoreResult | None
    duplicate: bool = False
    submission_key: str = ""
    response: Response | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


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


def find_code_and_draft(code: str, draft_id: str) -> tuple[AccessCode | None, RespondentDraft | None]:
    """As find_code, with this device's draft for the code (None if gone or another code's)."""
    row = db.session.execute(_FIND_CODE_AND_DRAFT, {"code": code, "draft_id": draft_id}).first()
    return (None, None) if row is None else (_linked(*row[:4]), row[4])


def _linked(access: AccessCode, campaign: Campaign, qversion: QuestionnaireVersion, school: OrgUnit) -> AccessCode:
    set_committed_value(access, "campaign", campaign)
    set_committed_value(campaign, "qversion", qversion)
    set_committed_value(access, "school", school)
    return access


def new_draft(code: AccessCode, locale: str | None) -> RespondentDraft:
    draft = RespondentDraft(id=secrets.token_urlsafe(32), access_code_id=code.id, answers={}, page=0,
                            locale=locale, updated_on=today())
    db.session.add(draft)
    db.session.commit()
    return draft


def issue_tokens(code: AccessCode, count: int) -> list[str]:
    """Create ``count`` one-time tokens; only their hashes are stored, so print them now."""
    tokens = []
    for _ in range(count):
        token = "".join(secrets.choice("ACDEFHJKMNPQRTUVWXY3479") for _ in range(8))
        db.session.add(OneTimeToken(token_hash=digest(f"{code.id}:{token}"), access_code_id=code.id))
        tokens.append(token)
    db.session.commit()
    return tokens


def redeem_token(code: AccessCode, token: str) -> bool:
    """Mark a token used, in its own transaction, before answering starts.

    The token row is updated long before the response is written, and nothing
    links the two, so no one can tell which response came from which token."""
    token = "".join(ch for ch in token.upper() if ch.isalnum())
    result = db.session.execute(
        update(OneTimeToken).where(OneTimeToken.token_hash == digest(f"{code.id}:{token}"),
                                   OneTimeToken.used.is_(False)).values(used=True))
    db.session.commit()
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


def already_submitted(draft_id: str) -> bool:
    return db.session.execute(select(Response.id).filter_by(submission_key=digest(draft_id))).first() is not None


def submit(draft: RespondentDraft, raw_answers: dict[str, Any] | None = None) -> Submitted:
    """Validate, score and store the response, then delete the draft, in one transaction.

    ``raw_answers`` defaults to the draft's. Raises AnswerError or SubmissionBusy; the
    caller then saves the draft, so nothing typed is lost."""
    code = draft.access_code
    campaign = code.campaign
    definition = definition_of(campaign)
    raw = draft.answers if raw_answers is None else raw_answers
    answers, extra = split_answers(definition, extra_definition(campaign, code.school_id), raw or {})
    result = score_answers(definition, answers, code)
    row = {"campaign_id": campaign.id, "qversion_id": campaign.qversion_id, "school_id": code.school_id,
           "class_group_id": code.class_group_id, "grade": code.grade, "status": RESPONSE_SUBMITTED,
           "submitted_on": today(), "submission_key": digest(draft.id),
           **response_values(definition, answers), **result_values(result)}
    if extra:
        row["notes"] = {"extra": extra}
    draft_id = draft.id
    for attempt in range(3):
        try:
            response_id = _insert(row, draft_id)
            return Submitted(response_id, result, response=_stored_response(response_id))
        except IntegrityError:
            db.session.rollback()
            return Submitted(None, None, duplicate=True, submission_key=row["submission_key"])
        except OperationalError as exc:  # SQLite "database is locked" after the busy timeout
            db.session.rollback()
            current_app.logger.warning("submission retry %s: %s", attempt + 1, exc.__class__.__name__)
    raise SubmissionBusy()


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


_INSERT_RESPONSE = insert(Response).returning(Response.id)
_DELETE_DRAFT = delete(RespondentDraft).where(RespondentDraft.id == bindparam("draft_id"))
# PostgreSQL runs both as one statement (a data-modifying CTE): one round trip fewer on
# every submission. SQLite allows only SELECT in a CTE.
_INSERT_RESPONSE_DELETE_DRAFT = _INSERT_RESPONSE.add_cte(_DELETE_DRAFT.cte("sent_draft"))


def _insert(row: dict[str, Any], draft_id: str) -> int:
    """One transaction: the response in, the draft out.

    Core statements on the session's connection (compiled once per worker, no ORM
    unit of work), and the request's loaded objects are not expired by this commit:
    they are still read afterwards (hooks, the redirect) and this transaction does
    not change them."""
    session = db.session()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        response_id = connection.execute(_INSERT_RESPONSE_DELETE_DRAFT, {**row, "draft_id": draft_id}).scalar_one()
    else:
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


__all__ = ["AnswerError", "SubmissionBusy", "Submitted", "find_code", "find_code_and_draft", "new_draft",
           "issue_tokens", "redeem_token", "merge_answers", "save_draft", "submit", "already_submitted",
           "score_answers", "split_answers", "token_counts"]
