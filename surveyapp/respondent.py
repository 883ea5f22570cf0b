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
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from . import get_registry
from .campaigns import definition_of
from .extensions import db
from .models import RESPONSE_SUBMITTED, AccessCode, OneTimeToken, RespondentDraft, Response, today
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


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def find_code(code: str) -> AccessCode | None:
    return db.session.execute(select(AccessCode).filter_by(code=code, active=True)).scalar_one_or_none()


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


def save_draft(draft: RespondentDraft, kept: dict[str, Any], page: int) -> None:
    answers = dict(draft.answers or {})
    for item_id, value in kept.items():
        if value is None:
            answers.pop(item_id, None)
        else:
            answers[item_id] = value
    draft.answers = answers
    draft.page = page
    draft.updated_on = today()
    db.session.commit()


def already_submitted(draft_id: str) -> bool:
    return db.session.execute(select(Response.id).filter_by(submission_key=digest(draft_id))).first() is not None


def submit(draft: RespondentDraft) -> Submitted:
    """Validate, score and store the response, then delete the draft, in one transaction.

    Raises AnswerError (answers kept) or SubmissionBusy (answers kept)."""
    code = draft.access_code
    campaign = code.campaign
    definition = definition_of(campaign)
    answers = check_answers(definition, draft.answers or {})
    result = score_answers(definition, answers, code)
    row = {"campaign_id": campaign.id, "qversion_id": campaign.qversion_id, "school_id": code.school_id,
           "class_group_id": code.class_group_id, "grade": code.grade, "status": RESPONSE_SUBMITTED,
           "submitted_on": today(), "submission_key": digest(draft.id),
           **response_values(definition, answers), **result_values(result)}
    draft_id = draft.id
    for attempt in range(3):
        try:
            response_id = _insert(row, draft_id)
            return Submitted(response_id, result)
        except IntegrityError:
            db.session.rollback()
            return Submitted(None, None, duplicate=True)
        except OperationalError as exc:  # SQLite "database is locked" after the busy timeout
            db.session.rollback()
            current_app.logger.warning("submission retry %s: %s", attempt + 1, exc.__class__.__name__)
    raise SubmissionBusy()


def _insert(row: dict[str, Any], draft_id: str) -> int:
    response_id = db.session.execute(insert(Response).values(**row).returning(Response.id)).scalar_one()
    db.session.execute(delete(RespondentDraft).where(RespondentDraft.id == draft_id))
    db.session.commit()
    return response_id


def score_answers(definition: Definition, answers: dict[str, Any], code: AccessCode | None = None) -> ScoreResult:
    registry = get_registry()
    override = registry.hook.score_response(questionnaire=definition, answers=answers)
    if override is not None:
        return override
    context = {"facility_type": code.school.facility_type} if code is not None else {}
    return score(definition, answers, methods=registry.scoring_methods, context=context)


__all__ = ["AnswerError", "SubmissionBusy", "Submitted", "find_code", "new_draft", "issue_tokens",
           "redeem_token", "save_draft", "submit", "already_submitted", "score_answers"]
