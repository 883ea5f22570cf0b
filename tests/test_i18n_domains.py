"""A module's own translation wins for its own strings; the core's wording stays the core's."""
from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Blueprint, render_template
from flask_babel import gettext

from conftest import make_app
from surveyapp.hookspecs import hookimpl
from surveyapp.i18n import module_translations


class Rewording:
    """A third-party module whose catalog translates a core string its own way."""

    def __init__(self, folder):
        self.folder = folder

    @hookimpl
    def register_translations(self):
        return [(str(self.folder / "translations"), "rewording")]

    @hookimpl
    def register_blueprints(self):
        return [Blueprint("rewording", __name__, template_folder=str(self.folder / "templates"))]


def rewording_app(tmp_path):
    catalog = Catalog(locale="vi", domain="rewording")
    catalog.add("Sign in", "Vào sổ liên lạc")               # the core says "Đăng nhập"
    catalog.add("%(n)s parents", "%(n)s phụ huynh")
    catalog.add("Campaign", "Đợt hỏi ý kiến", context="rewording")
    mo = tmp_path / "translations" / "vi" / "LC_MESSAGES" / "rewording.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as handle:
        write_mo(handle, catalog)
    page = tmp_path / "templates" / "rewording" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text('{{ _("Sign in") }}|{% trans n=3 %}{{ n }} parents{% endtrans %}|'
                    '{{ pgettext("rewording", "Campaign") }}|{{ _("Sign out") }}|{% include "core_bit.html" %}',
                    encoding="utf-8")
    (tmp_path / "templates" / "core_bit.html").write_text('{{ _("Sign in") }}', encoding="utf-8")
    return make_app(tmp_path, extra_plugins=[Rewording(tmp_path)])


def test_the_modules_wording_on_its_pages_and_the_cores_on_the_cores(tmp_path):
    app = rewording_app(tmp_path)
    with app.test_request_context("/?lang=vi"):
        own, trans, context, fallback, core_template = render_template("rewording/page.html").split("|")
        assert own == "Vào sổ liên lạc" and trans == "3 phụ huynh" and context == "Đợt hỏi ý kiến"
        assert fallback == "Đăng xuất"         # a string the module does not translate: the core's
        assert core_template == "Đăng nhập"    # a template outside the module's folder: the core's
        # the module's Python code, through its own translator, and the core's, unchanged
        _ = module_translations("rewording").gettext
        assert _("Sign in") == "Vào sổ liên lạc" and _("%(n)s parents", n=2) == "2 phụ huynh"
        assert gettext("Sign in") == "Đăng nhập"
    page = app.test_client().get("/login?lang=vi").get_data(as_text=True)
    assert "Đăng nhập" in page and "Vào sổ liên lạc" not in page   # a plugin cannot change a core string


def test_english_falls_back_to_the_msgid(tmp_path):
    app = rewording_app(tmp_path)
    with app.test_request_context("/?lang=en"):
        assert render_template("rewording/page.html").split("|")[:2] == ["Sign in", "3 parents"]
        assert module_translations("rewording").gettext("Sign in") == "Sign in"
