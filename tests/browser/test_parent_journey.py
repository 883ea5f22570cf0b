"""A parent answers a parents' survey on a phone in Chromium: adult wording, the adult lines
as well as 111, nothing wider than the screen, and the accessibility checks on every page."""
from __future__ import annotations

import pytest

from conftest import World, make_app
from surveyapp.extensions import db
from test_respondent_kinds import FamilyVoice, child_words

from .a11y import assert_accessible
from .conftest import LiveServer, navigate, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def parents_site(tmp_path):
    """A server of its own: the app with the parents' module, a small organisation and an open campaign."""
    from campaign_helpers import code_for, open_campaign
    app = make_app(tmp_path, None, SERVER_NAME=None, TESTING=False, extra_plugins=[FamilyVoice()])
    with app.test_request_context():
        world = World()
        campaign = open_campaign(world, "family_voice.parents", name="Parents")
        code = code_for(campaign, world.class_a6)
        db.session.remove()
    server = LiveServer(app)
    yield server, code
    server.stop()
    with app.app_context():
        db.engine.dispose()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_worried_parent_on_a_phone(parents_site, context_factory):
    server, code = parents_site
    page = context_factory().new_page()
    page.goto(f"{server.url}/s/{code}")
    assert "Quý phụ huynh" in page.locator("main").inner_text() and fits(page)
    assert_accessible(page, "parents' start page")
    navigate(page, page.locator("main form button[type=submit]"))
    page.locator('main input[name="safe"][value="2"]').check()
    page.locator('main input[name="worried"][value="2"]').check()
    navigate(page, page.locator('main button[value="submit"]'))
    assert page.url.endswith("/s/done")
    main = page.locator("main").inner_text()
    assert "Quý phụ huynh không đơn độc" in main and "096 306 1414" in main and "111" in main
    html = page.content()
    assert server.query(lambda: child_words(html)) == []
    assert page.locator('a[href="tel:0963061414"]').is_visible() and fits(page)
    assert_accessible(page, "parents' help page")
    shot(page, "parent-help-page")
