"""The anonymous student flow: codes, pages, resume, double submit, anonymity."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import inspect, select, text

from conftest import csrf_token
from campaign_helpers import code_for, open_campaign
from respondent_helpers import answer_all, start
from surveyapp import get_registry
from surveyapp.campaigns import create_campaign, set_status
from surveyapp.extensions import db
from surveyapp.models import AccessCode, OneTimeToken, RespondentDraft, Response
from surveyapp.respondent import issue_tokens

PHQ8 = {f"q{i}": "1" for i in range(1, 9)}


@pytest.fixture
def campaign(world):
    return open_campaign(world, "mental_health.phq8", name="Screening")


def test_codes_are_short_and_unambiguous(campaign):
    codes = [c.code for c in db.session.execute(select(AccessCode)).scalars()]
    assert len(codes) == 3  # one per class in scope
    for code in codes:
        assert re.fullmatch(r"[ACDEFHJKMNPQRTUVWXY3479]{6}", code)


def test_answer_whole_survey_and_thank_you_shows_111(client, campaign, world):
    code = code_for(campaign, world.class_a6)
    done = answer_all(client, code, PHQ8)
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "111" in page and "0225 111 222" in page
    response = db.session.execute(select(Response)).scalar_one()
    assert (response.total, response.band, response.school_id, response.grade) == (8, "mild", world.school_a.id, 6)
    assert db.session.execute(select(RespondentDraft)).first() is None


def test_a_campaign_whose_module_is_gone_is_closed_to_respondents_before_any_answer(client, campaign, world):
    """Disabling or uninstalling a module used to let a student answer every page and then
    meet a 500 (its scoring was gone); now the first page says it is unavailable."""
    code = code_for(campaign, world.class_a6)
    assert client.get(f"/s/{code}").status_code == 200
    campaign.module = "uninstalled_module"
    db.session.commit()
    page = client.get(f"/s/{code}")
    assert page.status_code == 503 and "tạm thời không sử dụng được" in page.get_data(as_text=True)
    posted = client.post(f"/s/{code}/p/1", data={"csrf_token": csrf_token(client), "q1": "1"})
    assert posted.status_code == 503
    assert db.session.execute(select(Response)).first() is None


def test_typed_code_is_normalised(client, campaign, world):
    code = code_for(campaign, world.class_a6)
    response = client.post("/s", data={"csrf_token": csrf_token(client), "code": f" {code[:3].lower()}-{code[3:]} "})
    assert response.headers["Location"].endswith(f"/s/{code}")


def test_wrong_and_closed_codes_get_friendly_pages(client, campaign, world):
    assert "Không tìm thấy mã này" in client.get("/s/ACDEFH").get_data(as_text=True)
    english = client.application.test_client()
    english.get("/lang/en")
    assert "could not find" in english.get("/s/ACDEFH").get_data(as_text=True)
    code = code_for(campaign, world.class_a6)
    set_status(campaign, "closed")
    db.session.commit()
    page = client.get(f"/s/{code}")
    assert page.status_code == 410 and "Khảo sát này" in page.get_data(as_text=True)


def test_code_guessing_is_rate_limited_per_device(client, campaign):
    statuses = [client.get(f"/s/AAAA{chr(65 + i % 20)}{i % 10}").status_code for i in range(12)]
    assert statuses[:10] == [404] * 10 and statuses[-1] == 429
    other_device = client.application.test_client()
    assert other_device.get("/s/ACDEFH").status_code == 404  # a classmate on the same address is not blocked


def test_validation_error_keeps_other_answers(client, campaign, world):
    code = code_for(campaign, world.class_a6)
    location = start(client, code).headers["Location"]
    html = client.get(location).get_data(as_text=True)
    items = list(dict.fromkeys(re.findall(r'name="(q\d)"', html)))
    data = {"csrf_token": csrf_token(client), "action": "next", items[0]: "2"}
    page = client.post(location, data=data)
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'value="2" checked' in body or 'checked value="2"' in body or re.search(r'checked[^>]*value="2"|value="2"[^>]*checked', body)
    assert body.count('class="field-error"') == len(items) - 1


def test_back_and_forth_and_resume_keep_answers(client, campaign, world):
    definition = get_registry().questionnaires["mental_health.phq8"]
    code = code_for(campaign, world.class_a6)
    location = start(client, code).headers["Location"]
    first = {"csrf_token": csrf_token(client), "action": "back", "q1": "3"}
    client.post(location, data=first)
    draft = db.session.execute(select(RespondentDraft)).scalar_one()
    assert draft.answers == {"q1": "3"}
    # leave and come back on the same device: the start page offers to continue
    again = client.get(f"/s/{code}").get_data(as_text=True)
    assert "continue where you left off" in again.lower() or "tiếp tục" in again.lower()
    assert len(definition.sections) >= 1


def test_double_submit_stores_one_response(client, campaign, world):
    code = code_for(campaign, world.class_a6)
    location = start(client, code).headers["Location"]
    data = {"csrf_token": csrf_token(client), "action": "submit", **PHQ8}
    pages = len(get_registry().questionnaires["mental_health.phq8"].sections)
    assert pages == 1
    cookie = client.get_cookie("session", domain="surveyapp.test").value
    first = client.post(location, data=data)
    assert "/done" in first.headers["Location"]
    client.set_cookie("session", cookie, domain="surveyapp.test")  # the retry carries the cookie from before the submit
    second = client.post(location, data=data)
    assert "/done" in second.headers["Location"]
    assert db.session.execute(select(Response)).scalars().all().__len__() == 1


def test_one_time_tokens_single_use_and_unlinked(client, world):
    definition = get_registry().questionnaires["mental_health.phq8"]
    campaign = create_campaign(name="Tokens", definition=definition, owner=world.dept, scope=[world.school_a],
                               user_id=None, settings={"tokens": True})
    set_status(campaign, "open")
    db.session.commit()
    access = db.session.execute(select(AccessCode).filter_by(campaign_id=campaign.id)).scalars().first()
    tokens = issue_tokens(access, 2)
    assert start(client, access.code, "WRONG123").status_code == 422
    answer_all(client, access.code, PHQ8, token=tokens[0])
    other = client.application.test_client()
    reused = start(other, access.code, tokens[0])
    assert reused.status_code == 422
    used = db.session.execute(select(OneTimeToken).filter_by(used=True)).scalars().all()
    assert len(used) == 1
    # nothing in the token table points at a response, nor the response at a token
    assert {c["name"] for c in inspect(db.engine).get_columns("one_time_token")} == \
        {"id", "token_hash", "access_code_id", "used"}


def test_database_holds_no_ip_user_agent_token_or_time_after_anonymous_submission(client, campaign, world):
    code = code_for(campaign, world.class_a6)
    client.environ_base.update({"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "PhoneBrowser/9.9 UniqueUA"})
    answer_all(client, code, PHQ8)
    forbidden = ["203.0.113.77", "UniqueUA", "PhoneBrowser"]
    now = dt.datetime.now()
    time_patterns = [now.strftime("%H:%M"), (now - dt.timedelta(minutes=1)).strftime("%H:%M")]
    inspector = inspect(db.engine)
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')).mappings():
            dump = " ".join(str(v) for v in row.values())
            for needle in forbidden:
                assert needle not in dump, f"{needle} found in {table}"
            if table == "response":
                for pattern in time_patterns:
                    assert pattern not in dump, f"time of day found in {table}"
    response_columns = {c["name"] for c in inspector.get_columns("response")}
    assert not response_columns & {"ip", "user_agent", "token", "created_at", "submitted_at", "user_id",
                                   "submission_key"}
    response = db.session.execute(select(Response)).scalar_one()
    assert isinstance(response.submitted_on, dt.date)
    assert not isinstance(response.submitted_on, dt.datetime)
