"""The school-dialogue survey through the generic respondent side: classes, codes, tokens, own questions."""
from __future__ import annotations

import re

from sqlalchemy import select

from conftest import csrf_token, login, post
from respondent_helpers import answer_all, page_items, start
from school_dialogue_helpers import QID, calm_answers, code_for, definition, open_campaign
from surveyapp.extensions import db
from surveyapp.models import AccessCode, Campaign, OneTimeToken, Response

PAGE_LIMIT = 50 * 1024
CALM_TOTAL = (19 * 4 + 2 * 2) / 21  # 21 agree items answered 4, two of them reverse-scored


def test_school_admin_opens_campaign_for_chosen_classes_and_prints_codes(client, world):
    login(client, "school_admin")
    created = post(client, "/campaigns/new", {"name": "Khảo sát HK1", "questionnaire": QID,
                                              "scope": str(world.school_a.id), "grades": "", "tokens": "y"})
    assert created.status_code == 302, created.get_data(as_text=True)[:800]
    campaign = db.session.execute(select(Campaign)).scalar_one()
    assert campaign.settings == {"tokens": True}
    page = client.get(f"/campaigns/{campaign.id}/schools/{world.school_a.id}").get_data(as_text=True)
    assert "6A" in page and "7A" in page
    post(client, f"/campaigns/{campaign.id}/schools/{world.school_a.id}/classes", {"classes": [str(world.class_a6.id)]})
    post(client, f"/campaigns/{campaign.id}/status", {"status": "open"})
    db.session.expire_all()
    codes = db.session.execute(select(AccessCode).filter_by(campaign_id=campaign.id)).scalars().all()
    assert [c.class_group_id for c in codes] == [world.class_a6.id]
    sheet = client.get(f"/campaigns/{campaign.id}/codes").get_data(as_text=True)
    # "Lớp 7A", not "7A" alone: a random access code may contain those two characters
    assert codes[0].code in sheet and "<svg" in sheet and "Lớp 6A" in sheet and "Lớp 7A" not in sheet
    # another school's admin cannot manage this school's part of the campaign
    other = client.application.test_client()
    login(other, "school_b_admin")
    assert other.get(f"/campaigns/{campaign.id}/schools/{world.school_a.id}").status_code == 404


def test_adding_a_class_later_creates_its_code_and_removing_switches_it_off(client, world):
    campaign = open_campaign(world, scope=[world.school_a], classes=[world.class_a6.id])
    login(client, "school_admin")
    url = f"/campaigns/{campaign.id}/schools/{world.school_a.id}/classes"
    post(client, url, {"classes": [str(world.class_a6.id), str(world.class_a7.id)]})
    db.session.expire_all()
    assert {c.class_group_id for c in db.session.execute(select(AccessCode)).scalars() if c.active} == \
        {world.class_a6.id, world.class_a7.id}
    post(client, url, {"classes": [str(world.class_a7.id)]})
    db.session.expire_all()
    assert {c.class_group_id for c in db.session.execute(select(AccessCode)).scalars() if c.active} == {world.class_a7.id}


def test_whole_survey_with_class_code_every_page_under_50_kb(client, world):
    campaign = open_campaign(world)
    code = code_for(campaign, world.class_a6)
    css = len(client.get("/static/app.css").data)
    location = start(client, code).headers["Location"]
    answers, weights = calm_answers(), []
    for _ in range(12):
        page = client.get(location)
        html = page.get_data(as_text=True)
        weights.append(len(page.data) + css)
        assert "Phần" in html  # Vietnamese by default, with the progress label
        data = {"csrf_token": csrf_token(client)}
        data.update({k: answers[k] for k in page_items(html) if k in answers})
        last = 'value="submit"' in html
        data["action"] = "submit" if last else "next"
        location = client.post(location, data=data).headers["Location"]
        if last:
            break
    assert len(weights) == len(definition().sections)
    assert max(weights) < PAGE_LIMIT, weights
    done = client.get(location).get_data(as_text=True)
    assert "111" in done
    response = db.session.execute(select(Response)).scalar_one()
    assert response.grade == 6 and abs(response.total - CALM_TOTAL) < 1e-9


def test_resume_and_double_submit_store_one_response(client, world):
    campaign = open_campaign(world)
    code = code_for(campaign, world.class_a6)
    location = start(client, code).headers["Location"]
    client.post(location, data={"csrf_token": csrf_token(client), "action": "next", "safe_school": "2"})
    assert "Tiếp tục" in client.get(f"/s/{code}").get_data(as_text=True) or "continue" in \
        client.get(f"/s/{code}").get_data(as_text=True).lower()
    resumed = client.get(location).get_data(as_text=True)
    assert re.search(r'value="2"[^>]*checked|checked[^>]*value="2"', resumed)
    answers = calm_answers()
    total = len(definition().sections)
    for number in range(1, total):
        html = client.get(f"/s/{code}/p/{number}").get_data(as_text=True)
        data = {"csrf_token": csrf_token(client), "action": "next"}
        data.update({k: answers[k] for k in page_items(html) if k in answers})
        client.post(f"/s/{code}/p/{number}", data=data)
    html = client.get(f"/s/{code}/p/{total}").get_data(as_text=True)
    final = {"csrf_token": csrf_token(client), "action": "submit"}
    final.update({k: answers[k] for k in page_items(html) if k in answers})
    cookie = client.get_cookie("session", domain="surveyapp.test").value
    assert "/done" in client.post(f"/s/{code}/p/{total}", data=final).headers["Location"]
    client.set_cookie("session", cookie, domain="surveyapp.test")  # a retry with the cookie from before
    assert "/done" in client.post(f"/s/{code}/p/{total}", data=final).headers["Location"]
    assert len(db.session.execute(select(Response)).scalars().all()) == 1


def test_closed_campaign_code_is_refused_kindly(client, world):
    campaign = open_campaign(world)
    code = code_for(campaign, world.class_a6)
    campaign.status = "closed"
    db.session.commit()
    page = client.get(f"/s/{code}")
    assert page.status_code == 410


def test_tokens_printed_once_from_campaign_page_and_single_use(client, world):
    campaign = open_campaign(world, scope=[world.school_a], settings={"tokens": True})
    code = db.session.execute(select(AccessCode).filter_by(class_group_id=world.class_a6.id)).scalar_one()
    login(client, "school_admin")
    school_page = client.get(f"/campaigns/{campaign.id}/schools/{world.school_a.id}").get_data(as_text=True)
    assert f"/campaigns/{campaign.id}/codes/{code.id}/tokens" in school_page
    slips = post(client, f"/campaigns/{campaign.id}/codes/{code.id}/tokens", {"count": "3"}).get_data(as_text=True)
    tokens = re.findall(r'class="hotline">([A-Z0-9]{8})<', slips)
    assert len(tokens) == 3 and "docs/privacy.md" in slips  # says what holds, and against whom
    stored = db.session.execute(select(OneTimeToken.token_hash)).scalars().all()
    assert len(stored) == 3 and not any(t in h for t in tokens for h in stored)
    student = client.application.test_client()
    assert start(student, code.code, "WRONGONE").status_code == 422
    answer_all(student, code.code, calm_answers(), token=tokens[0])
    assert start(client.application.test_client(), code.code, tokens[0]).status_code == 422
    assert post(client, f"/campaigns/{campaign.id}/codes/{code.id}/tokens", {"count": "999"}).status_code == 302


def test_school_questions_on_an_extra_last_page_kept_out_of_scores(client, world):
    campaign = open_campaign(world)
    login(client, "school_admin")
    url = f"/campaigns/{campaign.id}/schools/{world.school_a.id}/extra"
    post(client, url, {"type": "yes_no", "text_vi": "Em có muốn thêm giờ thể thao không?", "required": "1"})
    post(client, url, {"type": "single_choice", "text_vi": "Món ăn bán trú?", "options": "Ngon\nBình thường\n"})
    assert post(client, url, {"type": "number", "text_vi": "Bao nhiêu?"}).status_code == 302
    db.session.expire_all()
    items = db.session.get(Campaign, campaign.id).settings["extra_items"][str(world.school_a.id)]
    assert [i["id"] for i in items] == ["x_1", "x_2"]  # the 'number' kind was refused
    student = client.application.test_client()
    answers = dict(calm_answers(), x_1="1", x_2="2")
    answer_all(student, code_for(campaign, world.class_a6), answers)
    response = db.session.execute(select(Response)).scalar_one()
    assert response.notes == {"extra": {"x_1": 1, "x_2": 2}}
    assert abs(response.total - CALM_TOTAL) < 1e-9 and "x_1" not in response.texts
    # school B's students never see school A's questions
    other = client.application.test_client()
    location = start(other, code_for(campaign, world.class_b6)).headers["Location"]
    pages = 0
    html = ""
    while 'value="submit"' not in html:
        pages += 1
        html = other.get(location.replace("/p/1", f"/p/{pages}")).get_data(as_text=True)
        assert "x_1" not in html
    assert pages == len(definition().sections)
    # once students answered, the school's questions are locked
    locked = post(client, url, {"type": "yes_no", "text_vi": "Câu mới?"})
    db.session.expire_all()
    assert len(db.session.get(Campaign, campaign.id).settings["extra_items"][str(world.school_a.id)]) == 2
    assert locked.status_code == 302


def test_required_school_question_left_blank_keeps_answers(client, world):
    campaign = open_campaign(world)
    login(client, "school_admin")
    post(client, f"/campaigns/{campaign.id}/schools/{world.school_a.id}/extra",
         {"type": "likert", "text_vi": "Em thích giờ chào cờ.", "required": "1"})
    student = client.application.test_client()
    code = code_for(campaign, world.class_a6)
    answers = calm_answers()
    assert start(student, code).headers["Location"].endswith(f"/s/{code}/p/1")
    for number in range(1, len(definition().sections) + 2):
        html = student.get(f"/s/{code}/p/{number}").get_data(as_text=True)
        data = {"csrf_token": csrf_token(student), "action": "submit" if 'value="submit"' in html else "next"}
        data.update({k: answers[k] for k in page_items(html) if k in answers})
        result = student.post(f"/s/{code}/p/{number}", data=data)
    assert result.status_code == 422 and "x_1" in result.get_data(as_text=True)
    assert db.session.execute(select(Response)).first() is None
