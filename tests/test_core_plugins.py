"""Plugin discovery, configuration and start-up checks."""
from __future__ import annotations

import pytest

from surveyapp import create_app, get_registry
from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule
from surveyapp.registry import StartupError, build_plugin_manager

BASE = {"ENV": "testing", "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
BUILT_IN = {"safe_school", "school_dialogue", "mental_health"}


def test_builtin_plugins_are_found_through_entry_points():
    pm = build_plugin_manager()
    names = {name for name, _ in pm.list_name_plugin()}
    assert BUILT_IN <= names
    app = create_app(BASE)
    assert BUILT_IN <= set(get_registry(app).modules)


def test_configuration_can_disable_a_plugin():
    app = create_app({**BASE, "DISABLED_PLUGINS": ["mental_health"]})
    registry = get_registry(app)
    assert "mental_health" not in registry.modules
    assert not any(qid.startswith("mental_health.") for qid in registry.questionnaires)
    assert {"safe_school", "school_dialogue"} <= set(registry.modules)


def test_duplicate_module_id_stops_startup():
    class Twin:
        @hookimpl
        def register_assessment_modules(self):
            return [AssessmentModule(id="safe_school", name={"vi": "x", "en": "x"})]

    with pytest.raises(StartupError, match="safe_school"):
        create_app(BASE, extra_plugins=[Twin()])


def test_misspelt_hook_fails_at_start():
    class Typo:
        @hookimpl
        def register_questionaires(self):  # one 'n' missing
            return []

    with pytest.raises(Exception, match="register_questionaires"):
        create_app(BASE, extra_plugins=[Typo()])


def test_scoring_method_needs_module_prefix():
    class Bare:
        @hookimpl
        def register_scoring_methods(self):
            return {"double": lambda values, params: 2}

    with pytest.raises(StartupError, match="prefix"):
        create_app(BASE, extra_plugins=[Bare()])


def test_every_hookspec_is_documented_and_in_the_readme():
    from pathlib import Path

    from surveyapp import hookspecs
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    pm = build_plugin_manager()
    for name in dir(pm.hook):
        if name.startswith("_"):
            continue
        spec = getattr(hookspecs, name)
        assert spec.__doc__ and len(spec.__doc__) > 20, f"hook {name} lacks a docstring"
        assert f"`{name}`" in readme, f"hook {name} missing from the README's plugin section"


def test_plugins_command_lists_modules_and_questionnaires(run_cli):
    result = run_cli(["plugins"])
    assert result.exit_code == 0
    for text in ("safe_school", "school_dialogue", "mental_health", "mental_health.phq_a", "safe_school.tt18_2023",
                 "school_dialogue.dialogue", "[withheld]"):
        assert text in result.output


def test_serve_command_really_serves(tmp_path):
    """`make run` ends in `surveyapp serve`: it must answer HTTP, not return at once."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SURVEYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}"}
    env.pop("SURVEYAPP_TEST_POSTGRES", None)
    server = subprocess.Popen([sys.executable, "-c", "from surveyapp.cli import main; main()", "serve",
                               "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as reply:
                    body = reply.read().decode("utf-8")
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.2)
        assert "Đăng nhập" in body
    finally:
        server.terminate()
        server.wait(timeout=10)
