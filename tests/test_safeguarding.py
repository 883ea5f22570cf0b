"""Help after a risk answer, on every path: the attacks a phone makes without meaning to.

Two tabs on one code, Back and Send again, a retried send with the cookie from before,
a re-post from a device that lost its cookie: each ends on the help page at the neutral
address, and the risk answer is stored exactly once.
"""
from __future__ import annotations

import re

from sqlalchemy import func, select

from conftest import csrf_token
from mental_health_helpers import PHQ9_RISK, code_for, open_campaign
from respondent_helpers import answer_all, page_items, start
from school_dialogue_helpers import calm_answers, open_campaign as open_dialogue
from surveyapp.extensions import db
from surveyapp.models import RespondentDraft, Response

PHQA_PAGE1 = {f"q{i}": "0" for i in range(1, 10)}
PHQA_SAFE_PAGE2 = {"q10": "0", "q11": "0", "q12": "0", "q13": "0"}
PHQA_ATTEMPT_PAGE2 = {**PHQA_SAFE_PAGE2, "q13": "1"}


def _form(client, location: str, answers: dict, action: str) -> dict:
    """What the browser would post from the page at ``location`` (hidden fields included)."""
    html = client.get(location).get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="(send|section)" value="([^"]*)"', html))
    return {"csrf_token": csrf_token(client), "action": action, **hidden,
            **{k: answers[k] for k in page_items(html) if k in answers}}


def _outcome(client, response) -> str:
    assert response.status_code == 302 and response.headers["Location"] == "/s/done", response.headers
    html = client.get("/s/done").get_data(as_text=True)
    return "help" if 'id="help-first"' in html else "thanks"


def _risks() -> list[bool]:
    db.session.expire_all()
    return sorted(db.session.execute(select(Response.risk)).scalars().all())


def test_two_tabs_the_second_sends_a_risk_answer_after_the_first_sent(client, world):
    campaign = open_campaign(world, "mental_health.phq_a")
    code = code_for(campaign, world.class_a6)
    page1 = start(client, code).headers["Location"]
    tab2_page2 = page1.replace("/p/1", "/p/2")
    # tab 2 reaches page 2 first (page 1 answered), then tab 1 finishes and sends
    second = client.post(page1, data=_form(client, page1, PHQA_PAGE1, "next"))
    assert second.headers["Location"].endswith("/p/2")
    tab2_form = _form(client, tab2_page2, PHQA_ATTEMPT_PAGE2, "submit")
    tab1 = client.post(tab2_page2, data=_form(client, tab2_page2, PHQA_SAFE_PAGE2, "submit"))
    assert _outcome(client, tab1) == "thanks"
    # tab 2 sends "yes, I have tried to end my life": the draft is gone, the answer is not
    tab2 = client.post(tab2_page2, data=tab2_form)
    assert _outcome(client, tab2) == "help"
    assert _risks() == [False, True]
    stored = db.session.execute(select(Response).where(Response.risk.is_(True))).scalar_one()
    assert stored.notes == {"partial": True} and stored.needs_review  # its own response, for a counsellor to see
    again = client.post(tab2_page2, data=tab2_form)   # and tab 2 pressing Send again stores nothing
    assert _outcome(client, again) == "help" and _risks() == [False, True]


def test_back_and_send_again_shows_help_and_stores_once(client, world):
    campaign = open_campaign(world, "mental_health.phq9")
    code = code_for(campaign, world.class_a6)
    location = start(client, code).headers["Location"]
    form = _form(client, location, PHQ9_RISK, "submit")
    assert _outcome(client, client.post(location, data=form)) == "help"
    back = client.get(location)                       # Back: the page is gone, not re-opened
    assert back.status_code == 302
    assert _outcome(client, client.post(location, data=form)) == "help"   # the cached form sent again
    assert _risks() == [True]


def test_a_retried_send_with_the_old_cookie_shows_help_and_stores_once(client, world):
    campaign = open_campaign(world, "mental_health.phq9")
    location = start(client, code_for(campaign, world.class_a6)).headers["Location"]
    form = _form(client, location, PHQ9_RISK, "submit")
    stale = client.get_cookie("session", domain="surveyapp.test").value
    assert _outcome(client, client.post(location, data=form)) == "help"
    client.set_cookie("session", stale, domain="surveyapp.test")
    assert _outcome(client, client.post(location, data=form)) == "help"
    assert _risks() == [True]


def test_a_repost_from_a_device_that_lost_its_cookie_shows_help_and_stores_once(client, world):
    campaign = open_campaign(world, "mental_health.phq9")
    location = start(client, code_for(campaign, world.class_a6)).headers["Location"]
    form = _form(client, location, PHQ9_RISK, "submit")
    assert _outcome(client, client.post(location, data=form)) == "help"
    other = client.application.test_client()          # cookies cleared: only the page's form remains
    form["csrf_token"] = csrf_token(other)
    assert _outcome(other, other.post(location, data=form)) == "help"
    assert _risks() == [True]


def test_a_risk_page_posted_after_the_draft_vanished_is_stored(client, world):
    campaign = open_campaign(world, "mental_health.phq_a")
    page1 = start(client, code_for(campaign, world.class_a6)).headers["Location"]
    client.post(page1, data=_form(client, page1, PHQA_PAGE1, "next"))
    page2 = page1.replace("/p/1", "/p/2")
    form = _form(client, page2, PHQA_ATTEMPT_PAGE2, "submit")
    db.session.execute(RespondentDraft.__table__.delete())    # purged, expired, or lost
    db.session.commit()
    assert _outcome(client, client.post(page2, data=form)) == "help"
    assert _risks() == [True]


def test_no_risk_without_a_draft_stores_nothing(client, world):
    campaign = open_campaign(world, "mental_health.phq9")
    location = start(client, code_for(campaign, world.class_a6)).headers["Location"]
    form = _form(client, location, {f"q{i}": "0" for i in range(1, 10)}, "submit")
    db.session.execute(RespondentDraft.__table__.delete())
    db.session.commit()
    assert client.post(location, data=form).headers["Location"].startswith("/s/")
    assert db.session.execute(select(func.count(Response.id))).scalar_one() == 0


def test_bullying_answer_in_the_school_dialogue_shows_help_with_its_own_words(client, world):
    campaign = open_dialogue(world)
    answers = {**calm_answers(), "bully_physical": "2", "reported": "0"}
    final = answer_all(client, code_for(campaign, world.class_a6), answers)
    assert _outcome(client, final) == "help"
    html = client.get("/s/done").get_data(as_text=True)
    assert "Đó không phải lỗi của em" in html and 'href="tel:111"' in html and 'id="leave-quickly"' in html
    assert _risks() == [True]


def test_the_cookie_does_not_say_that_help_was_shown(client, world):
    from flask.sessions import SecureCookieSessionInterface
    campaign = open_campaign(world, "mental_health.phq9")
    assert _outcome(client, answer_all(client, code_for(campaign, world.class_a6), PHQ9_RISK)) == "help"
    raw = client.get_cookie("session", domain="surveyapp.test").value
    session = SecureCookieSessionInterface().get_signing_serializer(client.application).loads(raw)
    text = repr(session)
    assert "item9" not in text and "help" not in text and "risk" not in text
    assert set(session["sent"]) == {"k", "s", "c", "u"}


def test_the_neutral_page_shows_nothing_once_the_outcome_expires_or_is_left(client, world):
    campaign = open_campaign(world, "mental_health.phq9")
    final = answer_all(client, code_for(campaign, world.class_a6), PHQ9_RISK)
    assert _outcome(client, final) == "help"
    leave = client.get("/s/leave")
    assert leave.status_code == 302 and leave.headers["Location"].startswith("https://")
    html = client.get("/s/done").get_data(as_text=True)
    assert 'id="help-first"' not in html and "/s/done" not in leave.headers["Location"]
