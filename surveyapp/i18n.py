"""Translation catalogs: the core's and every plugin's, compiled at set-up (never committed)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

CORE_DIR = Path(__file__).parent / "translations"


def catalog_dirs() -> list[tuple[Path, str]]:
    from .registry import build_plugin_manager
    pairs = [(CORE_DIR, "messages")]
    for contributed in build_plugin_manager().hook.register_translations():
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
