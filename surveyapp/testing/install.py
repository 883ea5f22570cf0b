"""Install a plugin folder as a distribution without pip: a ``.dist-info`` beside it on ``sys.path``.

The core finds it by the same entry-point discovery as any ``pip install``-ed module, so its
errors name the distribution and version as they would in production.
"""
from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path


def install_distribution(site: Path, name: str, version: str, entry_points: dict[str, str],
                         packages: dict[str, Path] | None = None) -> Path:
    """Make ``site`` hold distribution ``name`` ``version`` with ``surveyapp.plugins`` entry points
    ``{entry name: "package.module"}``; ``packages`` copies ``{package name: source folder}`` there.
    Put ``site`` on ``sys.path`` (e.g. ``monkeypatch.syspath_prepend``) to install it."""
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    for package, source in (packages or {}).items():
        shutil.copytree(source, site / package, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = "".join(f"{entry} = {target}\n" for entry, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[surveyapp.plugins]\n{lines}", encoding="utf-8")
    importlib.invalidate_caches()
    return site


def forget_modules(prefix: str) -> None:
    """Drop ``prefix`` and its submodules from ``sys.modules`` (the next app imports them afresh)."""
    for name in [m for m in sys.modules if m == prefix or m.startswith(prefix + ".")]:
        del sys.modules[name]


def compile_catalogs(root: Path) -> list[Path]:
    """Compile every ``translations/<locale>/LC_MESSAGES/*.po`` under ``root`` (as ``surveyapp
    i18n-compile`` does for installed modules), for a package installed in a test."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    written = []
    for po_path in sorted(Path(root).glob("**/translations/*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name, domain=po_path.stem)
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(po_path.with_suffix(".mo"))
    return written
