"""Plugins written today keep working: a module built against the hooks as documented before
ModulePlugin (plain register_* hooks, a blueprint of its own, a plain-string report section, the
since-renamed after_submit_redirect) still installs, validates, is answered, scored, exported and
shown, with a DeprecationWarning where something changed, never a breakage."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from surveyapp.testing import CHECKS, check_module, login
from surveyapp.testing.install import compile_catalogs, forget_modules, install_distribution

OLD = Path(__file__).parent / "kit_oldstyle" / "surveyapp_oldstyle"


@pytest.fixture
def installed_old_style(tmp_path, monkeypatch):
    site = install_distribution(tmp_path / "site", "surveyapp-oldstyle", "0.3", {"oldstyle": "surveyapp_oldstyle.plugin"},
                                packages={"surveyapp_oldstyle": OLD})
    compile_catalogs(site / "surveyapp_oldstyle")
    monkeypatch.syspath_prepend(str(site))
    yield site
    forget_modules("surveyapp_oldstyle")


def test_an_old_style_module_passes_every_check_with_deprecation_warnings(installed_old_style, surveyapp_make_app):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = check_module("oldstyle", surveyapp_make_app)
    assert outcome == {check: "passed" for check in CHECKS}
    deprecations = {str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)}
    assert any(m.startswith("after_submit_redirect is no longer called") for m in deprecations), deprecations
    assert ("surveyapp-oldstyle 0.3: report_sections section 'Tóm tắt kiểu cũ': html is plain text, so it is "
            "shown escaped; pass markupsafe.Markup(render_template(...)) for HTML") in deprecations


def test_its_own_page_menu_entry_and_section_are_shown(installed_old_style, surveyapp_make_app):
    from surveyapp.testing import World, open_campaign
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        app = surveyapp_make_app()
    with app.test_request_context():
        world = World()
        campaign_id = open_campaign(world, "oldstyle.check").id
    staff = app.test_client()
    login(staff, "dept_admin")
    page = staff.get("/oldstyle/")
    assert page.status_code == 200 and "<h1>Trang kiểu cũ</h1>" in page.get_data(as_text=True)
    assert 'href="/oldstyle/"' in page.get_data(as_text=True)          # its menu entry
    with pytest.warns(DeprecationWarning):
        report = staff.get(f"/reports/campaign/{campaign_id}?lang=en").get_data(as_text=True)
    assert "Old style summary" in report and "&lt;p&gt;0 answers&lt;/p&gt;" in report   # shown, as text
