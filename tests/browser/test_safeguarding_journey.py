"""Help after a risk answer in a real browser, on every path a phone takes.

Two tabs, Back and Send again, a send retried by the network, a double press: each ends
on the help page at /s/done with the risk stored once. A bullying answer in the school
dialogue gets help too, and the history holds only the neutral address.
"""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from surveyapp import get_registry
from surveyapp.extensions import db
from surveyapp.models import AccessCode, OrgUnit, Response

from .conftest import navigate, shot

pytestmark = pytest.mark.browser
_names = itertools.count(1)


def open_code(server, qid: str) -> tuple[int, str]:
    """A fresh anonymous campaign of ``qid`` at a demo school; (campaign id, a class code)."""
    from surveyapp.campaigns import create_campaign, set_status

    def create():
        with server.app.test_request_context():
            school = db.session.execute(select(OrgUnit).filter_by(code="P01-THCS")).scalar_one()
            campaign = create_campaign(name=f"Safeguarding {next(_names)}", owner=school, scope=[school],
                                       definition=get_registry().questionnaires[qid], user_id=None)
            set_status(campaign, "open")
            db.session.commit()
            code = db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id)
                                      .where(AccessCode.class_group_id.is_not(None))).scalars().first()
            return campaign.id, code
    return server.query(create)


def risks(server, campaign_id: int) -> list[bool]:
    return server.query(lambda: sorted(db.session.execute(
        select(Response.risk).where(Response.campaign_id == campaign_id)).scalars().all()))


def answer(page, values: dict[str, str], default: str = "0") -> None:
    for name in dict.fromkeys(page.locator("main input[type=radio]").evaluate_all("els => els.map(e => e.name)")):
        page.locator(f'main input[name="{name}"][value="{values.get(name, default)}"]').check()


def begin(page, server, code: str) -> None:
    page.goto(f"{server.url}/s/{code}")
    navigate(page, page.locator("main form button[type=submit]"))


def on_help(page) -> bool:
    return page.url.endswith("/s/done") and page.locator("#help-first").count() == 1


def test_two_tabs_the_second_sends_a_suicide_attempt_answer(live_server, context_factory):
    campaign_id, code = open_code(live_server, "mental_health.phq_a")
    context = context_factory()
    tab1 = context.new_page()
    begin(tab1, live_server, code)
    answer(tab1, {})
    navigate(tab1, tab1.locator("button[value=next]"))
    tab2 = context.new_page()
    tab2.goto(tab1.url)                                  # the same draft, page 2, in a second tab
    answer(tab1, {})
    navigate(tab1, tab1.locator("button[value=submit]"))
    assert tab1.url.endswith("/s/done") and not on_help(tab1)
    answer(tab2, {"q13": "1"})
    navigate(tab2, tab2.locator("button[value=submit]"))
    assert on_help(tab2), tab2.url
    shot(tab2, "safeguarding-two-tabs-help")
    assert risks(live_server, campaign_id) == [False, True]


def test_back_and_send_again_ends_on_help_with_the_risk_stored_once(live_server, context_factory):
    campaign_id, code = open_code(live_server, "mental_health.phq9")
    page = context_factory().new_page()
    begin(page, live_server, code)
    answer(page, {"q9": "2"})
    navigate(page, page.locator("button[value=submit]"))
    assert on_help(page)
    page.go_back()
    if page.locator("button[value=submit]").count():     # a browser that kept the form: send it again
        navigate(page, page.locator("button[value=submit]"))
    assert on_help(page), page.url
    assert risks(live_server, campaign_id) == [True]


def test_a_send_retried_by_the_network_ends_on_help_with_the_risk_stored_once(live_server, context_factory):
    campaign_id, code = open_code(live_server, "mental_health.phq9")
    page = context_factory().new_page()
    begin(page, live_server, code)
    answer(page, {"q9": "1"})

    def lose_the_first_reply(route):
        route.fetch(max_redirects=0)                     # reaches the server; its reply is lost
        route.fulfill(response=route.fetch(max_redirects=0))  # the retry's reply reaches the phone
    page.route("**/p/*", lambda route: lose_the_first_reply(route) if route.request.method == "POST"
               else route.continue_())
    navigate(page, page.locator("button[value=submit]"))
    page.unroute("**/p/*")
    assert on_help(page), page.url
    assert risks(live_server, campaign_id) == [True]


def test_a_double_press_ends_on_help_with_the_risk_stored_once(live_server, context_factory):
    campaign_id, code = open_code(live_server, "mental_health.phq9")
    page = context_factory().new_page()
    begin(page, live_server, code)
    answer(page, {"q9": "3"})
    with page.expect_navigation(url="**/s/done"):
        page.evaluate("""() => { const form = document.querySelector('main form');
                                 const send = form.querySelector('button[value=submit]');
                                 form.requestSubmit(send); form.requestSubmit(send); }""")
    assert on_help(page), page.url
    assert risks(live_server, campaign_id) == [True]


def remove_campaign(server, campaign_id: int) -> None:
    """Other journeys look for the demo's one school-dialogue campaign: leave no second one."""
    from surveyapp.models import Campaign, RespondentDraft, campaign_scope

    def remove():
        codes = select(AccessCode.id).where(AccessCode.campaign_id == campaign_id)
        db.session.execute(RespondentDraft.__table__.delete().where(RespondentDraft.access_code_id.in_(codes)))
        db.session.execute(Response.__table__.delete().where(Response.campaign_id == campaign_id))
        db.session.execute(AccessCode.__table__.delete().where(AccessCode.campaign_id == campaign_id))
        db.session.execute(campaign_scope.delete().where(campaign_scope.c.campaign_id == campaign_id))
        db.session.execute(Campaign.__table__.delete().where(Campaign.id == campaign_id))
        db.session.commit()
    server.query(remove)


@pytest.fixture
def dialogue(live_server):
    campaign_id, code = open_code(live_server, "school_dialogue.dialogue")
    yield campaign_id, code
    remove_campaign(live_server, campaign_id)


def test_bullying_in_the_school_dialogue_shows_help_and_history_keeps_only_the_neutral_address(
        live_server, context_factory, dialogue):
    campaign_id, code = dialogue
    page = context_factory().new_page()
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    begin(page, live_server, code)
    for _ in range(20):
        for name in dict.fromkeys(page.locator("main input[type=radio]").evaluate_all(
                "els => els.map(e => e.name)")):
            choice = page.locator(f'main input[name="{name}"][value="2"]' if name == "bully_verbal"
                                  else f'main input[name="{name}"]')
            if not page.locator(f'main input[name="{name}"]:checked').count():
                choice.first.check()
        for box in page.locator("main input[type=checkbox]").all()[-1:]:
            box.check()
        if page.locator("button[value=submit]").count():
            navigate(page, page.locator("button[value=submit]"))
            break
        navigate(page, page.locator("button[value=next]"))
    assert on_help(page), page.url
    assert "Đó không phải lỗi của em" in page.locator("main").inner_text()
    assert page.locator("#leave-quickly").get_attribute("href") == "/s/leave"
    shot(page, "safeguarding-dialogue-help")
    after_sending = visited[visited.index(next(u for u in visited if u.endswith("/s/done"))):]
    assert all(url.endswith("/s/done") for url in after_sending), after_sending
    assert not any("help" in url or "?c=" in url or "mode=" in url for url in visited)
    assert risks(live_server, campaign_id) == [True]
    assert live_server.query(lambda: db.session.execute(select(func.count()).select_from(Response).where(
        Response.campaign_id == campaign_id)).scalar_one()) == 1
