"""The plugin contract at the boundary: a wrong hook result fails with ONE line naming the
distribution, its version, the hook and what was wrong.

Each broken plugin here is a real installed distribution (a ``.dist-info`` folder with an
entry point on ``sys.path``), found by the same entry-point discovery as any module."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from surveyapp import create_app, get_registry
from surveyapp.contract import PluginContractError
from surveyapp.registry import StartupError

BASE = {"ENV": "testing", "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
WHO = "surveyapp-parent-voice 0.1"

QUESTIONNAIRE = """\
schema_version: 1
id: parent_voice.{name}
version: "1.0"
title: {{vi: Tiếng nói cha mẹ, en: Parents' voice}}
locales: [vi, en]
source: test
licence: CC0-1.0
scales:
  agree: [{{value: 1, text: {{vi: Không, en: No}}}}, {{value: 2, text: {{vi: Có, en: Yes}}}}]
sections:
  - id: s
    title: {{vi: Phần, en: Part}}
    items:
      - {{id: q1, type: likert, scale: agree, text: {{vi: Câu 1, en: Q 1}}}}
      - {{id: q2, type: likert, scale: agree, text: {{vi: Câu 2, en: Q 2}}}}
scoring:
  primary: total
  scales:
    - {{id: total, label: {{vi: Tổng, en: Total}}, method: {method}, items: [q1, q2]}}
"""

PLUGIN_HEAD = """\
from pathlib import Path
from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule
HERE = Path(__file__).parent / "parent_voice_files"
MODULE = AssessmentModule(id="parent_voice", name={"vi": "Cha mẹ", "en": "Parents"},
                          default_questionnaire="parent_voice.survey")
"""

# indented like the test bodies they are joined to (the installer dedents the whole)
MODULES = """
        @hookimpl
        def register_assessment_modules():
            return [MODULE]
"""

QUESTIONNAIRES = """
        @hookimpl
        def register_questionnaires():
            return [HERE / "survey.yaml"]
"""


@pytest.fixture
def install(tmp_path, monkeypatch):
    """Install a distribution ``surveyapp-parent-voice 0.1`` whose plugin module is ``body``."""
    site = tmp_path / "site"

    def installer(body: str, method: str = "sum", files: dict[str, str] | None = None) -> Path:
        site.mkdir()
        (site / "parent_voice_plugin.py").write_text(PLUGIN_HEAD + textwrap.dedent(body), encoding="utf-8")
        folder = site / "parent_voice_files"
        folder.mkdir()
        (folder / "survey.yaml").write_text(QUESTIONNAIRE.format(name="survey", method=method), encoding="utf-8")
        for name, text in (files or {}).items():
            (folder / name).write_text(text, encoding="utf-8")
        info = site / "surveyapp_parent_voice-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: surveyapp-parent-voice\nVersion: 0.1\n",
                                       encoding="utf-8")
        (info / "entry_points.txt").write_text("[surveyapp.plugins]\nparent_voice = parent_voice_plugin\n",
                                               encoding="utf-8")
        monkeypatch.syspath_prepend(str(site))
        importlib.invalidate_caches()
        return site

    yield installer
    sys.modules.pop("parent_voice_plugin", None)


def startup_message(**config) -> str:
    with pytest.raises(StartupError) as info:
        create_app({**BASE, **config})
    return str(info.value)


# -- registration hooks ----------------------------------------------------------------------

def test_a_path_instead_of_a_list(install):
    install(MODULES + """
        @hookimpl
        def register_questionnaires():
            return HERE / "survey.yaml"
    """)
    assert startup_message() == f"{WHO}: register_questionnaires must return a list of paths, got PosixPath"


def test_a_string_instead_of_a_list_is_not_read_letter_by_letter(install):
    install(MODULES + """
        @hookimpl
        def register_questionnaires():
            return str(HERE / "survey.yaml")
    """)
    assert startup_message() == f"{WHO}: register_questionnaires must return a list of paths, got str"


def test_a_dict_for_a_module_descriptor(install):
    install(QUESTIONNAIRES + """
        @hookimpl
        def register_assessment_modules():
            return [{"id": "parent_voice", "name": {"vi": "Cha mẹ", "en": "Parents"}}]
    """)
    assert startup_message() == (f"{WHO}: register_assessment_modules must return a list of "
                                 "AssessmentModule, got dict at [0]")


def test_a_plain_name_instead_of_vi_and_en(install):
    install(QUESTIONNAIRES + """
        @hookimpl
        def register_assessment_modules():
            return [AssessmentModule(id="parent_voice", name="Parents' voice")]
    """)
    message = startup_message()
    assert message.startswith(f"{WHO}: register_assessment_modules module 'parent_voice': name must be a dict")
    assert message.endswith("got str") and "\n" not in message


def test_a_typo_in_default_questionnaire_is_noticed(install):
    install(MODULES.replace("[MODULE]", '[AssessmentModule(id="parent_voice", name=MODULE.name, '
                                        'default_questionnaire="parent_voice.survy")]') + QUESTIONNAIRES)
    assert startup_message() == (f"{WHO}: register_assessment_modules: module 'parent_voice': default_questionnaire "
                                 "'parent_voice.survy' is not one of its questionnaires (parent_voice.survey)")


def test_one_plugin_registering_a_module_twice_is_told_so(install):
    install(QUESTIONNAIRES + """
        @hookimpl
        def register_assessment_modules():
            return [MODULE, MODULE]
    """)
    assert startup_message() == (f"{WHO}: register_assessment_modules registers the module "
                                 "'parent_voice' twice")


def test_two_plugins_registering_one_module_are_both_named(install):
    install("""
        @hookimpl
        def register_assessment_modules():
            return [AssessmentModule(id="safe_school", name={"vi": "x", "en": "x"})]
    """)
    assert startup_message() == ("the module 'safe_school' is registered by both surveyapp 0.1.0 [safe_school] "
                                 f"and {WHO}")


def test_a_third_party_file_is_not_called_built_in(install):
    install(MODULES + QUESTIONNAIRES, files={"survey.yaml": "schema_version: 1\nid: parent_voice.survey\n"})
    message = startup_message()
    assert "built-in" not in message
    first, *problems = message.splitlines()
    assert first == f"invalid questionnaire file(s) of {WHO}:"
    assert problems and all("parent_voice_files/survey.yaml:" in line for line in problems)


# -- ownership: a plugin registers only under its own module ids --------------------------------

def test_a_questionnaire_in_another_modules_namespace_is_refused(install):
    intruder = QUESTIONNAIRE.format(name="survey", method="sum").replace("id: parent_voice.survey",
                                                                          "id: safe_school.parents")
    install(MODULES + QUESTIONNAIRES.replace('[HERE / "survey.yaml"]', '[HERE / "survey.yaml", HERE / "x.yaml"]'),
            files={"x.yaml": intruder})
    message = startup_message()
    assert f"invalid questionnaire file(s) of {WHO}:" in message
    assert "x.yaml:2: id: module 'safe_school' belongs to another plugin (this plugin's modules: parent_voice)" \
        in message


def test_a_scoring_method_in_another_modules_namespace_is_refused(install):
    install(MODULES + QUESTIONNAIRES + """
        @hookimpl
        def register_scoring_methods():
            return {"mental_health.mean": lambda values, params: 0.0}
    """)
    assert startup_message() == (f"{WHO}: register_scoring_methods: scoring method 'mental_health.mean' is outside "
                                 "the plugin's own modules (parent_voice)")


def test_an_exception_in_a_registration_hook_names_the_plugin(install):
    install(MODULES + """
        @hookimpl
        def register_questionnaires():
            return sorted((HERE / "missing").iterdir())
    """)
    message = startup_message()
    assert message.startswith(f"{WHO}: register_questionnaires raised FileNotFoundError: ")


# -- hooks called while serving ----------------------------------------------------------------

def test_a_scoring_method_returning_text_or_none_names_its_plugin(install):
    install(MODULES + QUESTIONNAIRES + """
        @hookimpl
        def register_scoring_methods():
            return {"parent_voice.text": lambda values, params: "high",
                    "parent_voice.nothing": lambda values, params: None}
    """, method="parent_voice.text")
    app = create_app(BASE)
    from surveyapp.scoring import score
    registry = get_registry(app)
    definition = registry.questionnaires["parent_voice.survey"]
    with pytest.raises(PluginContractError) as info:
        score(definition, {"q1": 1, "q2": 2}, methods=registry.scoring_methods)
    assert str(info.value) == f"{WHO}: scoring method 'parent_voice.text' must return a finite number, got str 'high'"
    with pytest.raises(PluginContractError, match=f"^{WHO}: scoring method 'parent_voice.nothing' .* got NoneType"):
        registry.scoring_methods["parent_voice.nothing"]([1], {})


def test_a_bare_report_section_and_a_short_sheet_row_name_the_plugin(install):
    install(MODULES + QUESTIONNAIRES + """
        from surveyapp.export import Column, SheetSpec
        from surveyapp.reports import ReportSection

        @hookimpl
        def report_sections(campaign, org, user):
            return ReportSection("Parents", "<p>x</p>")

        @hookimpl
        def export_sheets(campaign, org, options):
            rows = iter([["school A", 3], ["school B"]])
            return [SheetSpec("Parents", [Column("School"), Column("Answers", "int")], rows)]
    """)
    alone = ["mental_health", "safe_school", "school_dialogue"]   # only this plugin answers the hooks
    hooks = get_registry(create_app({**BASE, "DISABLED_PLUGINS": alone})).hook
    with pytest.raises(PluginContractError) as info:
        hooks.report_sections(campaign=None, org=None, user=None, filters=None)
    assert str(info.value) == f"{WHO}: report_sections must return a list of ReportSection, got ReportSection"
    [[sheet]] = hooks.export_sheets(campaign=None, org=None, options=None)
    rows = sheet.rows
    assert next(rows) == ["school A", 3]
    with pytest.raises(PluginContractError) as info:
        next(rows)   # an error, not a silent shift of the columns
    assert str(info.value) == f"{WHO}: export_sheets sheet 'Parents': row 2 has 1 cells for 2 columns"


def test_the_cli_prints_one_line_and_the_traceback_only_with_debug(install, tmp_path):
    site = install(MODULES + """
        @hookimpl
        def register_questionnaires():
            return HERE / "survey.yaml"
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
           "SURVEYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    env.pop("FLASK_DEBUG", None)
    command = [sys.executable, "-c", "from surveyapp.cli import main; main()"]
    quiet = subprocess.run(command + ["plugins"], env=env, capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 1
    assert quiet.stderr.strip() == f"error: {WHO}: register_questionnaires must return a list of paths, got PosixPath"
    loud = subprocess.run(command + ["--debug", "plugins"], env=env, capture_output=True, text=True, timeout=120)
    assert loud.returncode == 1 and "Traceback" in loud.stderr and "PosixPath" in loud.stderr


def test_the_core_calls_hooks_only_through_the_checked_boundary():
    """``pm.hook.<name>(`` would bypass the checks: only contract.py may touch pluggy's callers."""
    core = Path(__file__).parents[1] / "surveyapp"
    offenders = [str(p) for p in core.rglob("*.py") if p.name != "contract.py" and "pm.hook." in p.read_text("utf-8")]
    assert offenders == []


def test_the_core_names_no_built_in_module():
    """A fourth module must be addable without touching the core, so no core file (code, template
    or data; translations aside) names one of the built-in modules."""
    root = Path(__file__).parents[1]
    modules = sorted(p.name for p in (root / "plugins").iterdir() if (p / "plugin.py").exists())
    assert len(modules) == 3
    offenders = [f"{path.relative_to(root)}: {name}"
                 for path in (root / "surveyapp").rglob("*")
                 if path.is_file() and path.suffix in {".py", ".html", ".yaml", ".yml", ".txt", ".js", ".css"}
                 for name in modules if name in path.read_text("utf-8")]
    assert offenders == []


# -- `surveyapp validate` checks what start-up checks, in the same words -------------------------

def validate(*files: str):
    from click.testing import CliRunner

    from surveyapp.cli import cli
    return CliRunner().invoke(cli, ["validate", *files])


def test_validate_and_startup_report_an_unknown_method_identically(install):
    site = install(MODULES + QUESTIONNAIRES, method="maen")
    path = site / "parent_voice_files" / "survey.yaml"
    expected = (f"{path}:19: scoring.scales[0].method: unknown scoring method 'maen' (known: count_equal, "
                "count_not_equal, max, mean, min, percent_equal, sum)")
    assert expected in startup_message().splitlines()[1:][0]
    result = validate(str(path))
    assert result.exit_code == 1 and expected in result.output.splitlines()


def test_validate_notices_a_module_namespace(install):
    intruder = QUESTIONNAIRE.format(name="parents", method="sum").replace("parent_voice.parents", "safe_school.parents")
    site = install(MODULES + QUESTIONNAIRES.replace('[HERE / "survey.yaml"]', '[HERE / "survey.yaml", HERE / "x.yaml"]'),
                   files={"x.yaml": intruder})
    result = validate()   # no file named: every installed module's files, then the rest of start-up
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert f"{site / 'parent_voice_files' / 'x.yaml'}:2: id: module 'safe_school' belongs to another plugin " \
           "(this plugin's modules: parent_voice)" in lines
    assert f"{site / 'parent_voice_files' / 'survey.yaml'}: OK (parent_voice.survey v1.0, 2 items)" in lines


def test_validate_notices_a_typo_in_default_questionnaire(install):
    site = install(MODULES.replace("[MODULE]", '[AssessmentModule(id="parent_voice", name=MODULE.name, '
                                               'default_questionnaire="parent_voice.survy")]') + QUESTIONNAIRES)
    result = validate(str(site / "parent_voice_files" / "survey.yaml"))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"{WHO}: register_assessment_modules: module 'parent_voice': default_questionnaire "
        "'parent_voice.survy' is not one of its questionnaires (parent_voice.survey)")


def test_validate_a_new_file_of_a_module_not_installed(tmp_path):
    path = tmp_path / "new.yaml"
    path.write_text(QUESTIONNAIRE.format(name="survey", method="sum"), encoding="utf-8")
    result = validate(str(path))
    assert result.exit_code == 1
    assert f"{path}:2: id: no registered module 'parent_voice'" in result.output.splitlines()


# -- ModulePlugin: the common registrations by folder convention ----------------------------------

def test_module_plugin_registers_questionnaires_translations_and_templates(install):
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from flask import render_template
    site = install("""
        from surveyapp.modules import ModulePlugin
        PLUGIN = ModulePlugin(MODULE, __name__)

        @hookimpl
        def register_scoring_methods():   # an old-style hook beside the helper: still its own module
            return {"parent_voice.half": lambda values, params: sum(values) / 2}
    """, method="parent_voice.half")
    (site / "questionnaires").mkdir()
    (site / "parent_voice_files" / "survey.yaml").rename(site / "questionnaires" / "survey.yaml")
    (site / "templates" / "parent_voice").mkdir(parents=True)
    (site / "templates" / "parent_voice" / "page.html").write_text('{{ _("Sign in") }}', encoding="utf-8")
    catalog = Catalog(locale="vi", domain="parent_voice")
    catalog.add("Sign in", "Mời phụ huynh vào")
    (site / "translations" / "vi" / "LC_MESSAGES").mkdir(parents=True)
    with (site / "translations" / "vi" / "LC_MESSAGES" / "parent_voice.mo").open("wb") as handle:
        write_mo(handle, catalog)
    app = create_app(BASE)
    registry = get_registry(app)
    assert registry.modules["parent_voice"].default_questionnaire == "parent_voice.survey"
    assert registry.owners["parent_voice"] == WHO
    from surveyapp.scoring import score
    assert score(registry.questionnaires["parent_voice.survey"], {"q1": 2, "q2": 2},
                 methods=registry.scoring_methods).total == 2
    with app.test_request_context("/?lang=vi"):
        assert render_template("parent_voice/page.html") == "Mời phụ huynh vào"


def test_a_plain_string_section_still_shows_but_warns(install):
    install(MODULES + QUESTIONNAIRES + """
        from surveyapp.reports import ReportSection

        @hookimpl
        def report_sections(campaign, org, user):
            return [ReportSection("Parents", "<b>12</b> answers")]
    """)
    hooks = get_registry(create_app({**BASE, "DISABLED_PLUGINS": ["mental_health", "school_dialogue"]})).hook
    with pytest.warns(DeprecationWarning, match=f"^{WHO}: report_sections section 'Parents': html is plain text"):
        [[section]] = hooks.report_sections(campaign=None, org=None, user=None, filters=None)
    assert str(section.html) == "&lt;b&gt;12&lt;/b&gt; answers"


def test_gunicorn_stops_with_the_one_line(install, tmp_path):
    """`gunicorn surveyapp.wsgi:app` with a broken plugin: the one line, no traceback, no restart loop."""
    site = install(MODULES + """
        @hookimpl
        def register_questionnaires():
            return str(HERE / "survey.yaml")
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path]),
           "SURVEYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.sqlite'}"}
    env.pop("SURVEYAPP_DEBUG", None)
    command = [sys.executable, "-m", "gunicorn", "--no-control-socket", "-w", "1", "-b", "127.0.0.1:0",
               "surveyapp.wsgi:app"]
    server = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert server.returncode == 3   # gunicorn: worker failed to boot
    assert f"surveyapp: {WHO}: register_questionnaires must return a list of paths, got str" in server.stderr
    assert "Traceback" not in server.stderr


def test_a_hook_wrapper_is_refused_rather_than_silently_skipped():
    from surveyapp.hookspecs import hookimpl

    class Wrapper:
        @hookimpl(wrapper=True)
        def report_sections(self, campaign, org, user):
            return (yield)

    message = str(pytest.raises(PluginContractError, create_app, BASE, extra_plugins=[Wrapper()]).value)
    assert message == ("plugin test_plugin_contract.test_a_hook_wrapper_is_refused_rather_than_silently_skipped"
                       ".<locals>.Wrapper: report_sections is a hook wrapper; surveyapp hooks take plain "
                       "implementations only")


@pytest.mark.parametrize("hook, arguments, returned, expected", [
    ("score_response", "questionnaire, answers", '{"total": 3}', "must return a ScoreResult or None, got dict"),
    ("before_answering", "campaign, access_code", "42", "must return a URL (str) or None, got int"),
    ("navigation_items", "user", '["parent_voice.index"]', "must return a list of NavItem, got str at [0]"),
    ("export_indicators", "campaign, org", "[3.5]", "must return a list of IndicatorRow, got float at [0]"),
])
def test_serving_hooks_name_the_plugin_on_a_wrong_type(install, hook, arguments, returned, expected):
    install(MODULES + QUESTIONNAIRES + f"""
        @hookimpl
        def {hook}({arguments}):
            return {returned}
    """)
    hooks = get_registry(create_app({**BASE, "DISABLED_PLUGINS": ["mental_health", "safe_school",
                                                                   "school_dialogue"]})).hook
    with pytest.raises(PluginContractError) as info:
        getattr(hooks, hook)(**{name.strip(): None for name in arguments.split(",")})
    assert str(info.value) == f"{WHO}: {hook} {expected}"


def test_a_plugin_written_for_after_submit_redirect_still_starts_with_a_warning(tmp_path):
    """Plugins written today keep working: the retired hook is accepted, never called, and warned about."""
    import warnings

    from conftest import make_app
    from surveyapp.hookspecs import hookimpl

    class OldStyle:
        @hookimpl
        def after_submit_redirect(self, response):
            raise AssertionError("never called: the core decides help after a risk answer")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = make_app(tmp_path, extra_plugins=[OldStyle()])
    assert app is not None
    assert any("after_submit_redirect is no longer called" in str(w.message) for w in caught)
