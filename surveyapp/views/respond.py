"""Student pages: /s (type a code), /s/<code> (answer, one section per page), thank-you.

No JavaScript is needed. Every post saves what was typed into the device's
draft before anything else, so moving back and forth or an error loses nothing.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import _, get_locale

from .. import get_registry, ratelimit
from ..access import public
from ..campaigns import definition_of, normalise_code
from ..extensions import db
from ..forms import read_section, section_form
from ..models import RespondentDraft
from ..questionnaire import AnswerError
from ..respondent import SubmissionBusy, already_submitted, find_code, new_draft, redeem_token, save_draft, submit

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


def _open_code(code_text: str):
    """The access code and its campaign, or a friendly page saying why not."""
    code = find_code(normalise_code(code_text))
    if code is None:
        if not _guess_allowed():
            return None, (render_template("respond/message.html", kind="limited"), 429)
        return None, (render_template("respond/message.html", kind="unknown", code=code_text), 404)
    if not code.campaign.is_accepting():
        return None, (render_template("respond/message.html", kind="closed", campaign=code.campaign), 410)
    return code, None


def _draft_for(code) -> RespondentDraft | None:
    draft_id = session.get("drafts", {}).get(code.code)
    draft = db.session.get(RespondentDraft, draft_id) if draft_id else None
    return draft if draft and draft.access_code_id == code.id else None


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
    definition = definition_of(access.campaign)
    sections = definition.visible_sections(_known_answers(definition, draft.answers))
    if not 1 <= number <= len(sections):
        return redirect(url_for(".page", code=access.code, number=min(max(number, 1), len(sections))))
    section = sections[number - 1]
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.form.get("action", "next")
        kept, errors = read_section(definition, section, request.form, require=action != "back",
                                    answers=_known_answers(definition, draft.answers))
        save_draft(draft, kept, number - 1)
        if action == "back":
            return redirect(url_for(".page", code=access.code, number=max(number - 1, 1)))
        if not errors:
            sections = definition.visible_sections(_known_answers(definition, draft.answers))
            if number < len(sections):
                return redirect(url_for(".page", code=access.code, number=number + 1))
            return _finish(access, draft, definition, sections)
    form = section_form(definition, section, str(get_locale()), draft.answers or {},
                        formdata=request.form if errors else None)
    status = 422 if errors else 200
    return render_template("respond/page.html", access=access, definition=definition, section=section,
                           form=form, errors=errors, number=number, total=len(sections)), status


def _known_answers(definition, raw_answers: dict) -> dict:
    """Stored-form values for the answers that are valid so far (drives show_if)."""
    from ..questionnaire import check_value
    known = {}
    for item_id, value in (raw_answers or {}).items():
        try:
            known[item_id] = check_value(definition, item_id, value)
        except (ValueError, KeyError):
            continue
    return known


def _finish(access, draft, definition, sections):
    try:
        outcome = submit(draft)
    except AnswerError as exc:
        first = next(iter(exc.errors))
        info = definition.items.get(first)
        target = next((i for i, s in enumerate(sections, 1) if info and s.id == info.section.id), 1)
        flash(_("Some answers still need attention."), "error")
        return redirect(url_for(".page", code=access.code, number=target))
    except SubmissionBusy:
        flash(_("Many students are sending answers right now. Your answers are saved: please press Send again in a minute."), "warning")
        return redirect(url_for(".page", code=access.code, number=len(sections)))
    _remember(access, None)
    target = None
    if not outcome.duplicate:
        registry = get_registry()
        from ..models import Response
        response = db.session.get(Response, outcome.response_id)
        registry.hook.submission_completed(response=response, questionnaire=definition,
                                           campaign=access.campaign, result=outcome.result)
        target = registry.hook.after_submit_redirect(response=response, questionnaire=definition,
                                                     campaign=access.campaign, result=outcome.result)
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
    """A re-posted final page after success (double tap, retry) shows the thank-you page."""
    if request.method != "POST" or not request.view_args:
        return None
    code = request.view_args.get("code")
    draft_id = session.get("drafts", {}).get(normalise_code(code or ""))
    if draft_id and db.session.get(RespondentDraft, draft_id) is None and already_submitted(draft_id):
        access = find_code(normalise_code(code))
        if access:
            _remember(access, None)
        return redirect(url_for(".done", code=normalise_code(code)))
    return None
