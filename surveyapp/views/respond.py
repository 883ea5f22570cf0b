"""Student pages: /s (type a code), /s/<code> (answer, one section per page), /s/done.

No JavaScript is needed. Every post saves what was typed into the device's
draft before anything else, so moving back and forth or an error loses nothing.
After sending, thank you or help comes at the one neutral address /s/done
(surveyapp/aftercare.py); a page posted without its draft never drops a risk answer.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import _, get_locale
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from .. import aftercare, get_registry, respondent_kinds, sentmarks, traces
from ..access import public
from ..codeguard import guess_allowed
from ..campaigns import definition_of, extra_definition, normalise_code, takes_students
from ..extensions import db
from ..forms import read_section, section_form
from ..models import RespondentDraft
from ..questionnaire import AnswerError, check_value, evaluate
from ..respondent import (SubmissionBusy, draft_key, find_code, find_code_and_draft, merge_answers, new_draft,
                          redeem_token, save_draft, store_risk_page, submit)

bp = Blueprint("respond", __name__, url_prefix="/s")


def _code_and_draft(code_text: str):
    """(active access code or None, this device's draft for it or None), loaded in one
    query and kept for the rest of the request (holding them here keeps them in the
    session's weak identity map)."""
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
    if code is not None and not takes_students(code.campaign):
        code = None  # a staff form's code (made before they had none) opens nothing
    if code is None:
        if not guess_allowed():
            return None, (render_template("respond/message.html", kind="limited"), 429)
        return None, (render_template("respond/message.html", kind="unknown", code=code_text), 404)
    if code.campaign.module not in get_registry().modules:
        # Its module was disabled or uninstalled: its scoring is gone, so nobody answers in vain.
        return None, (render_template("respond/message.html", kind="unavailable", campaign=code.campaign,
                                      school=code.school), 503)
    if not code.campaign.is_accepting():
        return None, (render_template("respond/message.html", kind="closed", campaign=code.campaign), 410)
    return code, None


def _draft_for(code) -> RespondentDraft | None:
    return _code_and_draft(code.code)[1]


def _remember(code, cookie_id: str | None) -> None:
    """The device's random id for its draft of this code (the table holds only its keyed hash)."""
    drafts = dict(session.get("drafts", {}))
    if cookie_id is None:
        drafts.pop(code.code, None)
    else:
        drafts[code.code] = cookie_id
    session["drafts"] = drafts


@bp.context_processor
def _respondent_words():
    """Every respondent page speaks to its kind of respondent through one function."""
    return {"respondent_words": respondent_kinds.words_for}


@bp.before_request
def _purge_now_and_then():
    traces.purge_now_and_then()


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
    if draft is None and _answered_here(campaign):
        if aftercare.current() is not None:  # just sent (Back, a reload): the same page as after sending
            return redirect(url_for(".done"))
        return render_template("respond/message.html", kind="answered", school=access.school, campaign=campaign)
    if draft is None:
        gate = get_registry().hook.before_answering(campaign=campaign, access_code=access)
        if gate:
            return redirect(gate)
    if request.method == "POST":
        if draft is None:
            if uses_tokens and not redeem_token(access, request.form.get("token", "")):
                if not guess_allowed():
                    return render_template("respond/message.html", kind="limited"), 429
                flash(_("This one-time code is not valid or has already been used."), "error")
                return render_template("respond/start.html", access=access, campaign=campaign,
                                       uses_tokens=True, draft=None, definition=definition_of(campaign)), 422
            draft, cookie_id = new_draft(access, str(get_locale()))
            _remember(access, cookie_id)
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
        if request.method == "POST":
            return _without_draft(access)
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
        # The page the student goes to next is where "continue" reopens (0-based).
        save_draft(draft, kept, max(number - 2, 0) if action == "back" else number - 1 if errors else number)
        if action == "back":
            return redirect(url_for(".page", code=access.code, number=max(number - 1, 1)))
        if not errors:
            return redirect(url_for(".page", code=access.code, number=number + 1))
    form = section_form(definition, section, str(get_locale()), draft.answers or {},
                        formdata=request.form if errors else None)
    status = 422 if errors else 200
    return render_template("respond/page.html", access=access, definition=definition, section=section,
                           form=form, errors=errors, number=number, total=len(pages),
                           send=sentmarks.send_key(draft.id), part=parts.index(definition)), status


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


ANSWERED_KEY, ANSWERED_KEEP = "answered", 40


def _answered_here(campaign) -> bool:
    """One response per device per campaign unless the campaign is for shared computers."""
    return (campaign.id in session.get(ANSWERED_KEY, ())
            and not (campaign.settings or {}).get("shared_devices"))


def _mark_answered(campaign) -> None:
    """A signed, answer-free marker on the device: which campaigns it has sent (ids only)."""
    kept = [cid for cid in session.get(ANSWERED_KEY, []) if cid != campaign.id]
    session[ANSWERED_KEY] = (kept + [campaign.id])[-ANSWERED_KEEP:]


def _finish(access, draft, kept, page_index, definition, pages):
    try:
        outcome = submit(draft, merge_answers(draft.answers, kept), posted=kept)
    except (AnswerError, SubmissionBusy) as exc:
        save_draft(draft, kept, page_index)  # nothing typed is lost
        if isinstance(exc, SubmissionBusy):
            flash(respondent_kinds.words_for(access.campaign).busy, "warning")
            return redirect(url_for(".page", code=access.code, number=len(pages)))
        first = next(iter(exc.errors))
        target = next((i for i, (part, s) in enumerate(pages, 1) if any(it.id == first for it in s.items)), 1)
        flash(_("Some answers still need attention."), "error")
        return redirect(url_for(".page", code=access.code, number=target))
    _remember(access, None)
    _mark_answered(access.campaign)
    send = sentmarks.send_key(draft.id)
    if outcome.duplicate:  # the same draft was sent at the same moment by another request
        return _already_used(access, send, outcome.result.risk)
    get_registry().hook.submission_completed(response=outcome.response, questionnaire=definition,
                                             campaign=access.campaign, result=outcome.result)
    return aftercare.show(access.school_id, access.campaign_id, outcome.result.risk, send)


def _posted_page(access):
    """The page this POST came from, read from the form alone: (values typed, valid values)."""
    parts = _parts(access)
    part_text, _sep, section_id = request.form.get("section", "").partition("/")
    part = parts[int(part_text)] if part_text.isdigit() and int(part_text) < len(parts) else parts[0]
    section = next((s for s in part.model.sections if s.id == section_id), None)
    if section is None:
        return {}, {}
    kept, _errors, known = read_section(part, section, request.form, require=False, answers={})
    return kept, known


def _risk_rules(access, known: dict) -> list[str]:
    scoring = definition_of(access.campaign).model.scoring
    return [rule.id for rule in (scoring.risk if scoring else []) if evaluate(rule.when, known)]


def _without_draft(access):
    """A page posted after its draft was sent or lost: a second tab, Back and Send, a retry.

    A risk answer is never dropped: the page is stored as a response of its own (once:
    its post mark makes a re-post a no-op) and help follows. Otherwise a re-post of a
    sent draft gets the same next page as the first time, and anything else starts over."""
    kept, known = _posted_page(access)
    draft_id = session.get("drafts", {}).get(access.code)
    send = request.form.get("send", "")[:64] or (sentmarks.send_key(draft_key(draft_id)) if draft_id else None)
    _remember(access, None)
    rules = _risk_rules(access, known)
    valid = {k: v for k, v in kept.items() if k in known}
    if rules and not (send and sentmarks.find(sentmarks.post_key(send, kept))):
        stored = store_risk_page(access, valid, send)
        _mark_answered(access.campaign)
        get_registry().hook.submission_completed(response=stored.response, campaign=access.campaign,
                                                 questionnaire=definition_of(access.campaign), result=stored.result)
        return aftercare.show(access.school_id, access.campaign_id, True, send)
    return _already_used(access, send, bool(rules))


def _already_used(access, send: str | None, risk: bool):
    """The next page for a draft already sent: help if it (or this page) held a risk answer."""
    used = sentmarks.find(sentmarks.used_key(send)) if send else None
    if used is None:
        return aftercare.show(access.school_id, access.campaign_id, True) if risk else \
            redirect(url_for(".start", code=access.code))
    if risk and not used.help:
        sentmarks.remember_help(send)
        db.session.commit()
    return aftercare.show(access.school_id, access.campaign_id, risk or used.help, send)


@bp.route("/done")
@public
def done():
    """The one neutral address after sending: thank you or help, decided by the server."""
    outcome = aftercare.current()
    if outcome is None:
        return render_template("respond/done.html", outcome=None, school=None)
    if outcome.help:
        locale = str(get_locale())
        return render_template("respond/help.html", outcome=outcome, school=outcome.school,
                               messages=aftercare.help_messages(outcome, locale),
                               extras=aftercare.plugin_help(outcome))
    return render_template("respond/done.html", outcome=outcome, school=outcome.school)


@bp.route("/leave")
@public
def leave():
    """"Leave quickly": forget the outcome on this device and go to an ordinary site."""
    aftercare.forget()
    return redirect(current_app.config["LEAVE_URL"])


@bp.route("/<code>/done")
@public
def old_done(code: str):
    """Old links: the same neutral page whatever the code (it is not looked up)."""
    return redirect(url_for(".done"))


@bp.errorhandler(ObjectDeletedError)
@bp.errorhandler(StaleDataError)
def _draft_vanished(_exc):
    """Two posts of the same final page at once (a double tap): the other request sent the
    answers and deleted the draft while this one was using it. Show what happened, not a 500."""
    db.session.rollback()
    code = normalise_code((request.view_args or {}).get("code", ""))
    access = find_code(code)
    if access is None or request.method != "POST":
        return redirect(url_for(".start", code=code))
    return _without_draft(access)
