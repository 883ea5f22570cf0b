"""Student pages: /s (type a code), /s/<code> (answer, one section per page), thank-you.

No JavaScript is needed. Every post saves what was typed into the device's
draft before anything else, so moving back and forth or an error loses nothing.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import _, get_locale
from sqlalchemy import select
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from .. import get_registry, ratelimit
from ..access import public
from ..campaigns import definition_of, extra_definition, normalise_code
from ..extensions import db
from ..forms import read_section, section_form
from ..models import RespondentDraft, Response
from ..questionnaire import AnswerError, check_value
from ..respondent import (SubmissionBusy, already_submitted, digest, find_code, find_code_and_draft,
                          merge_answers, new_draft, redeem_token, save_draft, submit)
from ..scoring import ScoreResult

bp = Blueprint("respond", __name__, url_prefix="/s")
GUESSES_PER_DEVICE, GUESSES_PER_ADDRESS, GUESS_WINDOW = 10, 300, 10 * 60


def _device_key() -> str:
    if "device" not in session:
        session["device"] = secrets.token_urlsafe(12)
    return session["device"]


def _guess_allowed() -> bool:
    """Wrong codes are limited per device and, more loosely, per address (a school shares one)."""
    address = request.remote_addr or "-"
    per_device = ratelimit.hit(f"code:{address}:{_device_key()}", GUESSES_PER_DEVICE, GUESS_WINDOW)
    per_address = ratelimit.hit(f"code-ip:{address}", GUESSES_PER_ADDRESS, GUESS_WINDOW)
    return per_device and per_address


def _code_and_draft(code_text: str):
    """(active access code or None, this device's draft for it or None), loaded in one
    query and kept for the rest of the request: the resubmission guard and the view both
    need them (and holding them here keeps them in the session's weak identity map)."""
    code = normalise_code(code_text)
    loaded = g.get("respondent")
    if loaded is None or loaded[0] != code:
        draft_id = session.get("drafts", {}).get(code)
        access, draft = find_code_and_draft(code, draft_id) if draft_id else (find_code(code), None)
        g.respondent = loaded = (code, access, draft)
    return loaded[1], loaded[2]


def _open_code(code_text: str):
    """The access code and its campaign, or a friendly page saying why not."""
    code, _draft = _code_and_draft(code_text)
    if code is None:
        if not _guess_allowed():
            return None, (render_template("respond/message.html", kind="limited"), 429)
        return None, (render_template("respond/message.html", kind="unknown", code=code_text), 404)
    if not code.campaign.is_accepting():
        return None, (render_template("respond/message.html", kind="closed", campaign=code.campaign), 410)
    return code, None


def _draft_for(code) -> RespondentDraft | None:
    return _code_and_draft(code.code)[1]


def _remember(code, draft: RespondentDraft | None) -> None:
    drafts = dict(session.get("drafts", {}))
    if draft is None:
        drafts.pop(code.code, None)
    else:
        drafts[code.code] = draft.id
    session["drafts"] = drafts


@bp.route("", methods=["GET", "POST"])
@public
def enter():
    if request.method == "POST":
        text = request.form.get("code", "")
        if not normalise_code(text):
            flash(_("Please type the code your teacher gave you."), "error")
        else:
            return redirect(url_for(".start", code=normalise_code(text)))
    return render_template("respond/enter.html")


@bp.route("/<code>", methods=["GET", "POST"])
@public
def start(code: str):
    access, refusal = _open_code(code)
    if refusal:
        return refusal
    if normalise_code(code) != code:
        return redirect(url_for(".start", code=access.code))
    draft = _draft_for(access)
    campaign = access.campaign
    uses_tokens = bool(campaign.settings.get("tokens"))
    if draft is None:
        gate = get_registry().hook.before_answering(campaign=campaign, access_code=access)
        if gate:
            return redirect(gate)
    if request.method == "POST":
        if draft is None:
            if uses_tokens and not redeem_token(access, request.form.get("token", "")):
                if not _guess_allowed():
                    return render_template("respond/message.html", kind="limited"), 429
                flash(_("This one-time code is not valid or has already been used."), "error")
                return render_template("respond/start.html", access=access, campaign=campaign,
                                       uses_tokens=True, draft=None, definition=definition_of(campaign)), 422
            draft = new_draft(access, str(get_locale()))
            _remember(access, draft)
        return redirect(url_for(".page", code=access.code, number=draft.page + 1))
    return render_template("respond/start.html", access=access, campaign=campaign, uses_tokens=uses_tokens,
                           draft=draft, definition=definition_of(campaign))


@bp.route("/<code>/p/<int:number>", methods=["GET", "POST"])
@public
def page(code: str, number: int):
    access, refusal = _open_code(code)
    if refusal:
        return refusal
    draft = _draft_for(access)
    if draft is None:
        return redirect(url_for(".start", code=access.code))
    parts = _parts(access)
    known = _known_answers(parts, draft.answers)
    pages = _pages(parts, known)
    if not 1 <= number <= len(pages):
        return redirect(url_for(".page", code=access.code, number=min(max(number, 1), len(pages))))
    definition, section = pages[number - 1]
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action", "next")
        kept, errors, known = read_section(definition, section, request.form, require=action != "back",
                                           answers=known)
        if action != "back" and not errors:
            pages = _pages(parts, known)
            if number == len(pages):
                # The final page's answers go straight into the response: no draft write first.
                return _finish(access, draft, kept, number - 1, parts[0], pages)
        save_draft(draft, kept, number - 1)
        if action == "back":
            return redirect(url_for(".page", code=access.code, number=max(number - 1, 1)))
        if not errors:
            return redirect(url_for(".page", code=access.code, number=number + 1))
    form = section_form(definition, section, str(get_locale()), draft.answers or {},
                        formdata=request.form if errors else None)
    status = 422 if errors else 200
    return render_template("respond/page.html", access=access, definition=definition, section=section,
                           form=form, errors=errors, number=number, total=len(pages)), status


def _parts(access) -> list:
    """The campaign's questionnaire, then the school's own questions if it added any."""
    extra = extra_definition(access.campaign, access.school_id)
    return [definition_of(access.campaign)] + ([extra] if extra is not None else [])


def _pages(parts: list, known: dict) -> list[tuple]:
    """(definition, section) for every page currently shown, in order."""
    return [(part, section) for part in parts for section in part.visible_sections(known)]


def _known_answers(parts: list, raw_answers: dict | None) -> dict:
    """Stored-form values of the answers that are valid so far, over every part (drives
    show_if). Item ids are unique across parts: a school's own ids are reserved apart."""
    known = {}
    for item_id, value in (raw_answers or {}).items():
        part = next((p for p in parts if item_id in p.items), None)
        if part is None:
            continue
        try:
            known[item_id] = check_value(part, item_id, value)
        except ValueError:
            continue
    return known


def _finish(access, draft, kept, page_index, definition, pages):
    try:
        outcome = submit(draft, merge_answers(draft.answers, kept))
    except (AnswerError, SubmissionBusy) as exc:
        save_draft(draft, kept, page_index)  # nothing typed is lost
        if isinstance(exc, SubmissionBusy):
            flash(_("Many students are sending answers right now. Your answers are saved: please press Send again in a minute."), "warning")
            return redirect(url_for(".page", code=access.code, number=len(pages)))
        first = next(iter(exc.errors))
        target = next((i for i, (part, s) in enumerate(pages, 1) if any(it.id == first for it in s.items)), 1)
        flash(_("Some answers still need attention."), "error")
        return redirect(url_for(".page", code=access.code, number=target))
    _remember(access, None)
    if outcome.duplicate:
        return _after_stored(access, draft_key=outcome.submission_key)
    registry = get_registry()
    response = outcome.response
    registry.hook.submission_completed(response=response, questionnaire=definition,
                                       campaign=access.campaign, result=outcome.result)
    target = registry.hook.after_submit_redirect(response=response, questionnaire=definition,
                                                 campaign=access.campaign, result=outcome.result)
    return redirect(target or url_for(".done", code=access.code))


def _after_stored(access, draft_key: str):
    """A re-post of answers already stored: the same next page as the first time (help first)."""
    response = db.session.execute(select(Response).filter_by(submission_key=draft_key)).scalar_one_or_none()
    target = None
    if response is not None:
        result = ScoreResult(total=response.total, band=response.band, risk=response.risk,
                             needs_review=response.needs_review, outcome=response.outcome)
        target = get_registry().hook.after_submit_redirect(
            response=response, questionnaire=definition_of(access.campaign), campaign=access.campaign,
            result=result)
    return redirect(target or url_for(".done", code=access.code))


@bp.route("/<code>/done")
@public
def done(code: str):
    access = find_code(normalise_code(code))
    if access is None:
        abort(404)
    return render_template("respond/done.html", access=access, school=access.school)


@bp.before_request
def _resubmission_guard():
    """A re-posted final page after success (double tap, retry) gets the same next page."""
    if request.method != "POST" or not request.view_args:
        return None
    code = normalise_code(request.view_args.get("code") or "")
    draft_id = session.get("drafts", {}).get(code)
    if not draft_id:
        return None
    _access, draft = _code_and_draft(code)
    return _already_sent(code, draft_id) if draft is None else None


def _already_sent(code: str, draft_id: str):
    access = find_code(code)
    if access is None or not already_submitted(draft_id):
        return None if access is not None else redirect(url_for(".start", code=code))
    _remember(access, None)
    return _after_stored(access, digest(draft_id))


@bp.errorhandler(ObjectDeletedError)
@bp.errorhandler(StaleDataError)
def _draft_vanished(_exc):
    """Two posts of the same final page at once (a double tap): the other request sent the
    answers and deleted the draft while this one was using it. Show what happened, not a 500."""
    db.session.rollback()
    code = normalise_code((request.view_args or {}).get("code", ""))
    draft_id = session.get("drafts", {}).get(code)
    return (draft_id and _already_sent(code, draft_id)) or redirect(url_for(".start", code=code))
