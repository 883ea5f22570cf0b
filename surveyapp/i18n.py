"""Translation catalogs: the core's and every plugin's, compiled at set-up (never committed)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

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


# -- a module's own wording -----------------------------------------------------------------
# All catalogs merge into one with the core's last, so no plugin can change a core string.
# A module's own catalog still wins for the module's own strings: in templates under
# ``templates/<module>/`` (picked by template name) and through ``module_translations(id)``
# in its Python code. Where the core and a module translate one English string differently,
# both wordings work, each on its own pages.

@lru_cache(maxsize=64)
def _own_catalog(directory: str, domain: str, locale: str):
    from babel.support import Translations
    return Translations.load(directory, [locale], domain)


class ModuleTranslations:
    """gettext for one module: its own catalog first, then the app's merged one."""

    def __init__(self, domain: str):
        self.domain = domain

    def _lookup(self, translate: Callable[[Any], str], msgid: str) -> str:
        """``translate(catalog)`` in the module's catalog; where it has no translation, in the merged one."""
        from flask import current_app
        from flask_babel import get_locale
        directory = current_app.extensions.get("surveyapp_domains", {}).get(self.domain)
        locale = get_locale()
        if directory and locale is not None:
            text = translate(_own_catalog(directory, self.domain, str(locale)))
            if text != msgid:
                return text
        from flask_babel import get_translations
        return translate(get_translations())

    def gettext(self, string: str, **variables: Any) -> str:
        text = self._lookup(lambda t: t.ugettext(string), string)
        return text % variables if variables else text

    def pgettext(self, context: str, string: str, **variables: Any) -> str:
        text = self._lookup(lambda t: t.upgettext(context, string), string)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        msgid = singular if num == 1 else plural
        text = self._lookup(lambda t: t.ungettext(singular, plural, num), msgid)
        return text % variables

    def npgettext(self, context: str, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        msgid = singular if num == 1 else plural
        text = self._lookup(lambda t: t.unpgettext(context, singular, plural, num), msgid)
        return text % variables

    def lazy_gettext(self, string: str, **variables: Any):
        from flask_babel.speaklater import LazyString
        return LazyString(self.gettext, string, **variables)


def module_translations(domain: str) -> ModuleTranslations:
    """What a plugin imports as its ``_``: ``_ = module_translations("<module>").gettext``."""
    return ModuleTranslations(domain)


def install_module_gettext(app, domains: dict[str, str]) -> None:
    """Make ``_``/``gettext``/``pgettext``/``ngettext`` in a template under ``<domain>/`` use
    that module's catalog first (Jinja's newstyle wrapper still formats and escapes)."""
    from jinja2 import pass_context
    app.extensions["surveyapp_domains"] = dict(domains)

    def translator(context) -> ModuleTranslations | None:
        name = context.name or ""
        domain = name.split("/", 1)[0]
        return ModuleTranslations(domain) if "/" in name and domain in domains else None

    def merged():
        from flask_babel import get_translations
        return get_translations()

    @pass_context
    def gettext(context, string):
        own = translator(context)
        return own.gettext(string) if own else merged().ugettext(string)

    @pass_context
    def ngettext(context, singular, plural, num):
        own = translator(context)
        return own.ngettext(singular, plural, num) if own else merged().ungettext(singular, plural, num)

    @pass_context
    def pgettext(context, message_context, string):
        own = translator(context)
        return own.pgettext(message_context, string) if own else merged().upgettext(message_context, string)

    @pass_context
    def npgettext(context, message_context, singular, plural, num):
        own = translator(context)
        return own.npgettext(message_context, singular, plural, num) if own else \
            merged().unpgettext(message_context, singular, plural, num)

    app.jinja_env.install_gettext_callables(gettext=gettext, ngettext=ngettext, newstyle=True,
                                            pgettext=pgettext, npgettext=npgettext)
