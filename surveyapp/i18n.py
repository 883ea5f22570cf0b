"""Translation catalogs: the core's and every plugin's, compiled at set-up (never committed)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

CORE_DIR = Path(__file__).parent / "translations"


def catalog_dirs() -> list[tuple[Path, str]]:
    from .contract import checked_hooks
    from .registry import build_plugin_manager
    pairs = [(CORE_DIR, "messages")]
    for contributed in checked_hooks(build_plugin_manager()).register_translations():
        pairs.extend((Path(d), domain) for d, domain in contributed or [])
    return pairs


def compile_all() -> Iterator[str]:
    for directory, domain in catalog_dirs():
        for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{domain}.po")):
            mo_path = po_path.with_suffix(".mo")
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=po_path.parent.parent.name, domain=domain)
            with mo_path.open("wb") as handle:
                write_mo(handle, catalog, use_fuzzy=False)
            yield f"compiled {po_path} ({len(catalog)} messages)"


# Interface strings are written in English in the code (msgid) and translated to
# Vietnamese, the default locale. Question texts are not here: they live in the
# questionnaire files in both languages.
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
# pgettext("<module>", "...") is how a plugin gives a string its own translation when the core
# or another module translates the same English differently (all catalogs merge into one).
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2)}
LOCALES = ("vi",)


def extract(source_root: Path, domain: str):
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir
    catalog = Catalog(domain=domain, charset="utf-8")
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.do", "trimmed": "true"}}
    for filename, lineno, message, comments, context in extract_from_dir(
            str(source_root), METHOD_MAP, options, KEYWORDS, strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update_all(only: str | None = None) -> Iterator[str]:
    """Re-extract every catalog's strings and merge them into the .po files, keeping translations."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po
    for directory, domain in catalog_dirs():
        if only and domain != only:
            continue
        template = extract(directory.parent, domain)
        for locale in LOCALES:
            po_path = directory / locale / "LC_MESSAGES" / f"{domain}.po"
            po_path.parent.mkdir(parents=True, exist_ok=True)
            if po_path.exists():
                with po_path.open("rb") as handle:
                    catalog = read_po(handle, locale=locale, domain=domain)
                catalog.update(template, update_header_comment=False)
            else:
                catalog = Catalog(locale=locale, domain=domain, charset="utf-8", project="surveyapp",
                                  fuzzy=False)
                catalog.update(template)
            with po_path.open("wb") as handle:
                write_po(handle, catalog, width=100, omit_header=False, ignore_obsolete=True)
            missing = untranslated(po_path, locale, domain)
            yield f"{po_path}: {len(template)} messages, {len(missing)} untranslated"


def untranslated(po_path: Path, locale: str, domain: str) -> list[str]:
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=domain)
    return [str(m.id) for m in catalog if m.id and (not m.string or m.fuzzy or
                                                    (isinstance(m.string, tuple) and not all(m.string)))]
