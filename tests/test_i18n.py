"""Every interface string has a Vietnamese translation, in the core and in every plugin."""
from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import gettext, pgettext

from conftest import make_app
from surveyapp.hookspecs import hookimpl
from surveyapp.i18n import LOCALES, catalog_dirs, extract

CATALOGS = catalog_dirs()


@pytest.mark.parametrize("directory, domain", CATALOGS, ids=[d for _, d in CATALOGS])
def test_catalog_is_complete_and_consistent(directory, domain):
    wanted = {(m.context, m.id) for m in extract(directory.parent, domain) if m.id}
    for locale in LOCALES:
        po_path = directory / locale / "LC_MESSAGES" / f"{domain}.po"
        if not wanted:
            continue
        assert po_path.exists(), f"{po_path} missing: run `surveyapp i18n-update` and translate"
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale, domain=domain)
        translated = {(m.context, m.id) for m in catalog if m.id and m.string and not m.fuzzy}
        missing = sorted(str(m) for m in wanted - translated)
        assert not missing, f"{len(missing)} untranslated in {po_path}: {missing[:10]}"
        problems = [(str(m.id), [str(e) for e in errors]) for m, errors in catalog.check() if errors]
        assert not problems, f"placeholder mismatches in {po_path}: {problems[:5]}"


def test_vietnamese_is_the_default_and_switchable(client):
    vi = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in vi and "Đăng nhập" in vi
    en = client.get("/lang/en?next=/login", follow_redirects=True).get_data(as_text=True)
    assert 'lang="en"' in en and "Sign in" in en


@pytest.mark.parametrize("locale", LOCALES)
def test_no_two_catalogs_translate_the_same_string_differently(locale):
    """All catalogs merge into one at run time, so a string translated two ways would show one
    module's wording on another's pages; a module that needs its own uses pgettext."""
    seen: dict = {}
    for directory, domain in CATALOGS:
        po_path = directory / locale / "LC_MESSAGES" / f"{domain}.po"
        if not po_path.exists():
            continue
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale=locale, domain=domain):
                if message.id and message.string:
                    seen.setdefault((message.context, str(message.id)), {})[domain] = message.string
    clashes = {key: by_domain for key, by_domain in seen.items() if len(set(map(str, by_domain.values()))) > 1}
    assert not clashes, f"{len(clashes)} strings translated differently: {list(clashes.items())[:5]}"


def test_module_wording_lives_beside_the_cores(app):
    with app.test_request_context("/?lang=vi"):
        assert gettext("Campaign") == "Đợt khảo sát"
        assert pgettext("safe_school", "Campaign") == "Đợt đánh giá"
        assert pgettext("school_dialogue", "Record a session") == "Ghi nhận buổi đối thoại"
        assert pgettext("mental_health", "Record a session") == "Ghi một buổi tham vấn"


class _RewordingPlugin:
    """A third-party module whose catalog translates a core string its own way."""

    def __init__(self, directory):
        self.directory = directory

    @hookimpl
    def register_translations(self):
        return [(str(self.directory), "rewording")]


def test_a_plugin_catalog_cannot_change_the_cores_wording(tmp_path):
    catalog = Catalog(locale="vi", domain="rewording")
    catalog.add("Sign in", "ĐÃ ĐỔI")
    catalog.add("A string of its own", "Chuỗi riêng")
    folder = tmp_path / "rewording"
    (folder / "vi" / "LC_MESSAGES").mkdir(parents=True)
    with (folder / "vi" / "LC_MESSAGES" / "rewording.mo").open("wb") as handle:
        write_mo(handle, catalog)
    app = make_app(tmp_path, extra_plugins=[_RewordingPlugin(folder)])
    with app.test_request_context("/?lang=vi"):
        assert gettext("Sign in") == "Đăng nhập"
        assert gettext("A string of its own") == "Chuỗi riêng"
