"""Every interface string has a Vietnamese translation, in the core and in every plugin."""
from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from surveyapp.i18n import LOCALES, catalog_dirs, extract

CATALOGS = catalog_dirs()


@pytest.mark.parametrize("directory, domain", CATALOGS, ids=[d for _, d in CATALOGS])
def test_catalog_is_complete_and_consistent(directory, domain):
    wanted = {m.id for m in extract(directory.parent, domain) if m.id}
    for locale in LOCALES:
        po_path = directory / locale / "LC_MESSAGES" / f"{domain}.po"
        if not wanted:
            continue
        assert po_path.exists(), f"{po_path} missing: run `surveyapp i18n-update` and translate"
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale, domain=domain)
        translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
        missing = sorted(str(m) for m in wanted - translated)
        assert not missing, f"{len(missing)} untranslated in {po_path}: {missing[:10]}"
        problems = [(str(m.id), [str(e) for e in errors]) for m, errors in catalog.check() if errors]
        assert not problems, f"placeholder mismatches in {po_path}: {problems[:5]}"


def test_vietnamese_is_the_default_and_switchable(client):
    vi = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in vi and "Đăng nhập" in vi
    en = client.get("/lang/en?next=/login", follow_redirects=True).get_data(as_text=True)
    assert 'lang="en"' in en and "Sign in" in en
