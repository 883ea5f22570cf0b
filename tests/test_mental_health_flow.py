"""mental_health, student side: help first on a risk answer, consent before identity, the alert."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from conftest import csrf_token, login, post
from mental_health_helpers import (PHQ8_MILD, PHQ9_NO_RISK, PHQ9_RISK, code_for, extra_users, identify,
                                   open_campaign)
from respondent_helpers import answer_all, page_items, start
from surveyapp.extensions import db
from surveyapp.models import Response

from plugins.mental_health.models import Alert, Case


@pytest.fixture
def people(world):
    return extra_users(world)


def _help_location(response) -> str:
    """Help comes at the neutral address; the server, not the URL, decides that it is help."""
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/s/done", location
    return location


def _is_help(client, location: str) -> str:
    html = client.get(location).get_data(as_text=True)
    assert 'id="help-first"' in html
    return html


def test_anonymous_phq9_item9_shows_help_first_and_stores_nothing_identifying(client, world):
    campaign = open_campaign(world, "mental_health.phq9")
    final = answer_all(client, code_for(campaign, world.class_a6), PHQ9_RISK)
    page = client.get(_help_location(final))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="help-first"' in html
    assert 'href="tel:111"' in html and "quốc gia bảo vệ trẻ em" in html
    assert "data-risk-help" in html and "115" in html          # the questionnaire's own words
    assert "0225 111 222" in html and "Cô Lan" in html          # the school counsellor as configured
    assert "from=screening" in html                             # only offered to leave a contact
    for diagnosis in ("Tối thiểu", "minimal", "PHQ", "điểm"):   # no band, no score, no instrument
        assert diagnosis not in html
    db.session.expire_all()
    assert db.session.execute(select(Case)).first() is None and db.session.execute(select(Alert)).first() is None
    assert db.session.execute(select(Response.risk)).scalar_one() is True


def test_no_risk_goes_to_the_ordinary_thank_you_page(client, world):
    campaign = open_campaign(world, "mental_health.phq8")
    final = answer_all(client, code_for(campaign, world.class_a6), PHQ8_MILD)
    assert final.headers["Location"].endswith("/done")
    campaign9 = open_campaign(world, "mental_health.phq9", name="PHQ-9")
    other = client.application.test_client()
    final9 = answer_all(other, code_for(campaign9, world.class_a6), PHQ9_NO_RISK)
    assert final9.headers["Location"].endswith("/done")  # a severe total alone is not the risk flag


def test_the_anonymous_offer_becomes_a_self_referral(client, world):
    campaign = open_campaign(world, "mental_health.phq9")
    help_url = _help_location(answer_all(client, code_for(campaign, world.class_a6), PHQ9_RISK))
    assert client.get(help_url).status_code == 200
    sent = post(client, "/mental-health/ask/A?from=screening",
                {"anonymous": "no", "name": "Hà", "klass": "6A", "contact": "Zalo 0900", "topic": "feelings",
                 "urgency": "soon", "message": ""})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/ask/A/sent")
    case = db.session.execute(select(Case)).scalar_one()
    assert (case.source, case.student_name, case.response_id) == ("screening_offer", "Hà", None)


def test_a_repost_after_a_lost_reply_still_leads_to_help(client, world):
    """Double tap: the first reply (with the help redirect) never reached the phone."""
    campaign = open_campaign(world, "mental_health.phq9")
    code = code_for(campaign, world.class_a6)
    location = start(client, code).headers["Location"]
    html = client.get(location).get_data(as_text=True)
    assert 'value="submit"' in html  # PHQ-9 is one page
    data = {"csrf_token": csrf_token(client), "action": "submit",
            **{k: PHQ9_RISK[k] for k in page_items(html) if k in PHQ9_RISK}}
    stale = client.get_cookie("session", domain="surveyapp.test").value
    _help_location(client.post(location, data=data))
    client.set_cookie("session", stale, domain="surveyapp.test")
    again = client.post(location, data=data)
    _is_help(client, _help_location(again))
    assert db.session.execute(select(Response.id)).scalars().all().__len__() == 1


def test_confidential_consent_comes_before_identity_and_is_recorded(client, world):
    campaign = open_campaign(world, "mental_health.phq9", confidential=True)
    code = code_for(campaign, world.class_a6)
    consent_url = client.get(f"/s/{code}").headers["Location"]
    html = client.get(consent_url).get_data(as_text=True)
    assert "56/2017" in html and "91/2025" in html and 'name="name"' not in html
    refused = client.post(consent_url, data={"csrf_token": csrf_token(client), "basis": "child_and_parent"})
    assert refused.status_code == 422                                # not ticked: no identity page
    assert client.get(consent_url.replace("/consent", "/identify")).headers["Location"].endswith("/consent")
    identify(client, code, basis="child_parent_pending")
    case = db.session.execute(select(Case)).scalar_one()
    assert (case.consent_basis, case.student_name, case.awaiting_answers) == ("child_parent_pending",
                                                                              "Lê Minh Châu", True)


def test_confidential_risk_shows_help_first_and_raises_an_alert_at_once(client, world, people):
    campaign = open_campaign(world, "mental_health.phq9", confidential=True)
    code = code_for(campaign, world.class_a6)
    identify(client, code)
    final = answer_all(client, code, PHQ9_RISK)
    html = client.get(_help_location(final)).get_data(as_text=True)
    assert "111" in html and "0225 111 222" in html
    db.session.expire_all()
    case = db.session.execute(select(Case)).scalar_one()
    response = db.session.execute(select(Response)).scalar_one()
    assert case.response_id == response.id and case.urgency == "urgent" and not case.awaiting_answers
    alert = db.session.execute(select(Alert)).scalar_one()
    assert alert.case_id == case.id and alert.handled_at is None
    stored = " ".join(str(getattr(response, c.name)) for c in Response.__table__.columns)
    assert "Lê Minh Châu" not in stored and "0911" not in stored  # identity only in the plugin's table
    counsellor = client.application.test_client()
    login(counsellor, "counsellor")
    queue = counsellor.get("/mental-health/queue").get_data(as_text=True)
    assert "Lê Minh Châu" in queue and f"/mental-health/case/{case.id}" in queue
    assert "(1 " in counsellor.get("/").get_data(as_text=True)  # the menu shows the urgent count


def test_alert_stays_until_a_counsellor_records_how_it_was_handled(client, world, people):
    campaign = open_campaign(world, "mental_health.phq9", confidential=True)
    code = code_for(campaign, world.class_a6)
    identify(client, code)
    answer_all(client, code, PHQ9_RISK)
    alert_id = db.session.execute(select(Alert.id)).scalar_one()
    counsellor = client.application.test_client()
    login(counsellor, "counsellor")
    for _ in range(2):  # reading the queue or the record does not clear it
        assert "/mental-health/case/" in counsellor.get("/mental-health/queue").get_data(as_text=True)
    case_id = db.session.execute(select(Case.id)).scalar_one()
    counsellor.get(f"/mental-health/case/{case_id}")
    post(counsellor, f"/mental-health/alert/{alert_id}/handle", {"action": "  "})
    refused_close = post(counsellor, f"/mental-health/case/{case_id}/close", {"note": "x"})
    assert refused_close.status_code == 302
    db.session.expire_all()
    assert db.session.get(Alert, alert_id).handled_at is None
    assert db.session.get(Case, case_id).status != "closed"     # cannot close over an open alert
    post(counsellor, f"/mental-health/alert/{alert_id}/handle", {"action": "Gặp em ngay tiết 2, gọi mẹ em."})
    db.session.expire_all()
    alert = db.session.get(Alert, alert_id)
    assert alert.handled_at is not None and alert.handled_by_id == world.users["counsellor"].id
    assert alert.handled_action == "Gặp em ngay tiết 2, gọi mẹ em."
    assert db.session.execute(select(Alert).where(Alert.handled_at.is_(None))).first() is None
    queue = counsellor.get("/mental-health/queue").get_data(as_text=True)
    assert 'class="help-box"' not in queue                      # the urgent block is gone


def test_lost_identity_still_raises_an_alert_in_confidential_mode(client, world):
    """The intake cookie was lost between the first page and sending: the alert is raised anyway."""
    campaign = open_campaign(world, "mental_health.phq9", confidential=True)
    code = code_for(campaign, world.class_a6)
    identify(client, code)
    assert start(client, code).status_code == 302  # answering has started (a draft exists)
    with client.session_transaction() as session:
        session["mh_intake"] = {}
    _help_location(answer_all(client, code, PHQ9_RISK))
    db.session.expire_all()
    unidentified = db.session.execute(select(Case).where(Case.anonymous.is_(True))).scalar_one()
    assert unidentified.student_class == "6A" and unidentified.urgency == "urgent"
    assert db.session.execute(select(Alert.case_id)).scalar_one() == unidentified.id


def test_urgent_self_referral_shows_help_and_raises_an_alert(client, world):
    page = client.get("/mental-health/ask/A")
    assert page.status_code == 200 and "csrf_token" in page.get_data(as_text=True)
    sent = post(client, "/mental-health/ask/A", {"anonymous": "yes", "topic": "safety", "urgency": "urgent",
                                                "message": "Có người đánh em ở nhà."})
    _is_help(client, _help_location(sent))
    case = db.session.execute(select(Case)).scalar_one()
    assert case.anonymous and case.student_name is None and case.urgency == "urgent"
    assert db.session.execute(select(Alert.case_id)).scalar_one() == case.id
    assert post(client, "/mental-health/ask/A", {"anonymous": "yes", "message": ""}).status_code == 422
    assert client.get("/mental-health/ask/NOPE").status_code == 404


def test_other_modules_campaigns_are_left_alone(client, world):
    from plugins.mental_health import flow

    class Other:
        module, settings, id = "school_dialogue", {"confidential": True}, 1

    assert flow.gate_url(Other(), None) is None and flow.help_blocks(Other(), world.school_a) == []
    flow.on_submitted(None, Other(), type("R", (), {"risk": True}))  # no error, no case
    assert db.session.execute(select(Case)).first() is None
