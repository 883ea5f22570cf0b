"""docs/plugins.md against the code: every hook, every field of every object a hook receives
or returns, every column kind and item type. A field added to the code fails here until the
doc says what it means."""
from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from surveyapp import export, hookspecs, modules, reports, scoring
from surveyapp.contract import CHECKS
from surveyapp.questionnaire.schema import ITEM_TYPES, Band, ScaleDef

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
OBJECTS = [modules.AssessmentModule, modules.NavItem, reports.ReportSection, reports.ReportFilter,
           export.SheetSpec, export.Column,
           export.ChartSpec, export.ConditionalFormat, export.IndicatorRow, export.ExportOptions,
           scoring.ScoreResult, scoring.ScaleResult]


def section_of(title: str) -> str:
    """The text under a ``### `title` ...`` heading, up to the next heading."""
    match = re.search(rf"^### `{re.escape(title)}`.*?$(.*?)(?=^##)", DOC + "\n##", re.M | re.S)
    assert match, f"docs/plugins.md has no section for {title}"
    return match.group(1)


def table_names(text: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))


HOOKS = [name for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
         if hasattr(value, "surveyapp_spec")]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_in_the_table_with_its_arguments(hook):
    row = next((line for line in DOC.splitlines() if line.startswith(f"| `{hook}`")), None)
    assert row, f"hook {hook} missing from docs/plugins.md"
    for argument in inspect.signature(getattr(hookspecs, hook)).parameters:
        assert f"`{argument}`" in row, f"{hook}: argument {argument} undocumented"
    checked = row.rsplit("|", 2)[-2].strip()
    assert (checked != "–") == (hook in CHECKS), f"{hook}: the 'checked' column disagrees with contract.CHECKS"


@pytest.mark.parametrize("cls", OBJECTS, ids=[c.__name__ for c in OBJECTS])
def test_every_field_of_every_object_is_documented(cls):
    if cls in (scoring.ScoreResult, scoring.ScaleResult):   # one section, two tables
        before, after = section_of("ScoreResult` and `ScaleResult").split("ScaleResult`:", 1)
        documented = table_names(before if cls is scoring.ScoreResult else after)
    else:
        documented = table_names(section_of(cls.__name__))
    fields = {f.name for f in dataclasses.fields(cls)}
    assert fields == documented, f"{cls.__name__}: code {sorted(fields)} vs doc {sorted(documented)}"


def test_module_plugin_arguments_and_folders_are_documented():
    text = section_of("ModulePlugin")
    arguments = set(inspect.signature(modules.ModulePlugin).parameters)
    assert arguments <= table_names(text)
    for folder in ("questionnaires/", "translations/", "templates/", "migrations/versions/"):
        assert f"`{folder}" in text


def test_column_kinds_item_types_missing_rules_and_band_fields_are_documented():
    kinds = section_of("Column")
    assert all(f"`{kind}`" in kinds for kind in export.EXPECTED_TYPE)
    encodings = DOC.split("Stored answer encodings", 1)[1].split("### Missing answers", 1)[0]
    assert all(f"`{item_type}`" in encodings for item_type in ITEM_TYPES)
    assert "bitmask" in encodings and "`0`" in encodings
    rules = ScaleDef.model_fields["missing"].annotation.__args__[0].__args__
    assert all(f"| `{rule}` |" in DOC for rule in rules)
    assert all(f"`{name}`" in DOC.split("### Bands", 1)[1] for name in Band.model_fields)


def test_the_readme_points_to_the_contract():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    writing = readme.split("## Writing a plugin", 1)[1].split("\n## ", 1)[0]
    assert "docs/plugins.md" in writing


def test_the_smallest_module_builds_from_the_doc_alone(tmp_path, monkeypatch):
    """The doc's own example, copied out as a stranger would, installs, validates, scores and reports."""
    import importlib
    import sys
    from types import SimpleNamespace

    from surveyapp import create_app, get_registry
    from surveyapp.scoring import score
    example = DOC.split("## The smallest module", 1)[1].split("\n## ", 1)[0]
    python = re.search(r"```python\n(.*?)```", example, re.S).group(1)
    questionnaire = re.search(r"```yaml\n(.*?)```", example, re.S).group(1)
    package = tmp_path / "site" / "surveyapp_parent_voice"
    (package / "questionnaires").mkdir(parents=True)
    (package / "templates" / "parent_voice").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "plugin.py").write_text(python, encoding="utf-8")
    (package / "questionnaires" / "safety.yaml").write_text(questionnaire, encoding="utf-8")
    (package / "templates" / "parent_voice" / "section.html").write_text("<p>{{ campaign.module }}</p>", "utf-8")
    info = tmp_path / "site" / "surveyapp_parent_voice-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: surveyapp-parent-voice\nVersion: 0.1\n", "utf-8")
    (info / "entry_points.txt").write_text("[surveyapp.plugins]\nparent_voice = surveyapp_parent_voice.plugin\n",
                                           "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    try:
        app = create_app({"ENV": "testing", "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        registry = get_registry(app)
        definition = registry.questionnaires["parent_voice.safety"]
        result = score(definition, {"safe_way": 4, "worried": 1, "seen": 0}, methods=registry.scoring_methods)
        assert (result.total, result.band) == (4.0, "high")   # 'told' skipped; 'worried' reversed
        assert result.subscales["top_box"].score == 100.0
        with app.test_request_context():
            sections = [s for found in registry.hook.report_sections(
                campaign=SimpleNamespace(module="parent_voice"), org=None, user=None, filters=None) for s in found]
        assert [(s.title, str(s.html), s.order) for s in sections] == [("Parents", "<p>parent_voice</p>", 60)]
    finally:
        for name in [m for m in sys.modules if m.startswith("surveyapp_parent_voice")]:
            del sys.modules[name]
