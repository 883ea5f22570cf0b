"""A student on a phone: the school-dialogue survey from code to thank-you page, with and
without JavaScript, and with the keyboard only."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import AccessCode, Campaign, Response

from .a11y import assert_accessible
from .conftest import navigate, shot

pytestmark = pytest.mark.browser
TITLE = {"vi": "Ý kiến của em về trường học", "en": "Your views on your school"}


def dialogue_code(server) -> tuple[int, str]:
    """The demo's school-dialogue campaign and one of its class codes (another one per call)."""
    def find():
        campaign = db.session.execute(select(Campaign).filter_by(module="school_dialogue")).scalar_one()
        codes = db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id, active=True)
                                   .where(AccessCode.class_group_id.is_not(None))
                                   .order_by(AccessCode.id)).scalars().all()
        return campaign.id, codes[len(_taken) % len(codes)]
    found = server.query(find)
    _taken.append(found[1])
    return found


_taken: list[str] = []


def response_count(server, campaign_id: int) -> int:
    return server.query(lambda: db.session.execute(
        select(func.count()).select_from(Response).where(Response.campaign_id == campaign_id)).scalar_one())


def answer_visible_questions(page) -> None:
    """First option of every radio or checkbox group not yet answered; text in empty text boxes.

    Locators only: with JavaScript off, page.evaluate() has no document to work on."""
    groups: dict[str, bool] = {}
    for box in page.locator("main input[type=radio], main input[type=checkbox]").all():
        name = box.get_attribute("name")
        groups[name] = groups.get(name, False) or box.is_checked()
    for name, answered in groups.items():
        if not answered:
            page.locator(f'main input[name="{name}"]').first.check()
    for box in page.locator("main textarea, main input[type=text]").all():
        if not box.input_value():
            box.fill("Em mong có thêm cây xanh.")


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide on a 360px phone"


def run_survey(server, context, name: str, check_a11y: bool) -> None:
    campaign_id, code = dialogue_code(server)
    before = response_count(server, campaign_id)
    page = context.new_page()
    page.goto(f"{server.url}/s/{code}")
    assert page.locator("h1").inner_text() == TITLE["vi"]
    shot(page, f"{name}-01-start")
    navigate(page, page.get_by_role("link", name="English"))
    assert page.locator("h1").inner_text() == TITLE["en"]
    shot(page, f"{name}-02-start-en")
    navigate(page, page.get_by_role("link", name="Tiếng Việt"))
    assert page.locator("h1").inner_text() == TITLE["vi"]
    navigate(page, page.locator("main form button[type=submit]"))
    went_back = False
    for step in range(1, 30):
        assert re.search(rf"/s/{code}/p/\d+$", page.url), page.url
        if check_a11y:  # both need page.evaluate(), i.e. JavaScript
            assert_fits_the_phone(page)
            assert_accessible(page, page.url)
        answer_visible_questions(page)
        if step == 2 and not went_back:
            navigate(page, page.locator("button[value=back]"))
            assert page.url.endswith("/p/1")
            checked = page.locator("main input[type=radio]:checked").count()
            assert checked == page.locator("main fieldset").count(), "answers were lost going back"
            shot(page, f"{name}-04-back-to-part-1")
            went_back = True
            navigate(page, page.locator("button[value=next]"))
            continue
        if step == 1:
            shot(page, f"{name}-03-part-1")
        if page.locator("button[value=submit]").count():
            shot(page, f"{name}-05-last-part")
            navigate(page, page.locator("button[value=submit]"))
            break
        navigate(page, page.locator("button[value=next]"))
    assert went_back
    assert page.url.endswith("/s/done"), page.url
    assert "111" in page.locator("main").inner_text()
    shot(page, f"{name}-06-thank-you")
    page.reload()
    assert response_count(server, campaign_id) == before + 1


def test_student_on_a_phone_answers_the_dialogue_survey(live_server, context_factory):
    run_survey(live_server, context_factory(), "journey1-phone", check_a11y=True)


def test_student_without_javascript_answers_the_dialogue_survey(live_server, context_factory):
    context = context_factory(java_script_enabled=False)
    run_survey(live_server, context, "journey2-no-js", check_a11y=False)


def test_errors_are_announced_next_to_their_question(live_server, context_factory):
    _, code = dialogue_code(live_server)
    page = context_factory().new_page()
    page.goto(f"{live_server.url}/s/{code}")
    navigate(page, page.locator("main form button[type=submit]"))
    page.locator("main input[type=radio]").first.check()
    navigate(page, page.locator("button[value=next]"))
    assert page.locator("[role=alert]").count() >= 1
    errors = page.locator(".field-error")
    assert errors.count() == page.locator("main fieldset").count() - 1
    for index in range(errors.count()):
        error_id = errors.nth(index).get_attribute("id")
        described = page.locator(f'[aria-describedby~="{error_id}"]')
        assert described.count() == 1, f"no field is described by #{error_id}"
    assert_accessible(page, "a page with errors")
    shot(page, "a11y-errors")


def test_the_whole_survey_can_be_done_with_the_keyboard_only(live_server, context_factory):
    campaign_id, code = dialogue_code(live_server)
    before = response_count(live_server, campaign_id)
    page = context_factory().new_page()
    page.goto(f"{live_server.url}/s/{code}")
    tab_to(page, lambda info: info["tag"] == "BUTTON")
    page.keyboard.press("Enter")
    page.wait_for_url("**/p/1")
    for _ in range(30):
        if page.url.endswith("/done"):
            break
        answer_with_keyboard(page)
    assert page.url.endswith("/s/done"), page.url
    assert response_count(live_server, campaign_id) == before + 1
    shot(page, "a11y-keyboard-done")


FOCUSED = """() => { const el = document.activeElement;
  return {tag: el.tagName, type: el.type || '', name: el.name || '', value: el.value || '', checked: !!el.checked,
          group: el.name ? [...document.querySelectorAll('input[name="' + el.name + '"]')].some(e => e.checked) : false}; }"""


def tab_to(page, wanted, limit: int = 200) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = page.evaluate(FOCUSED)
        if wanted(info):
            return info
    raise AssertionError("Tab never reached the wanted control")


def answer_with_keyboard(page) -> None:
    """Tab through one part: Space on each unanswered group, text typed, Enter on Next/Send."""
    url = page.url
    for _ in range(300):
        page.keyboard.press("Tab")
        info = page.evaluate(FOCUSED)
        if info["type"] in ("radio", "checkbox") and not info["group"]:
            page.keyboard.press("Space")
        elif info["tag"] == "TEXTAREA" and not info["value"]:
            page.keyboard.type("Em thích trường.")
        elif info["tag"] == "BUTTON" and info["value"] in ("next", "submit"):
            page.keyboard.press("Enter")
            page.wait_for_url(lambda u: u != url)
            return
    raise AssertionError(f"could not leave {url} with the keyboard")
