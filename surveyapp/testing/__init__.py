"""The conformance kit for module plugins: pytest fixtures (``surveyapp.testing.plugin``, loaded
automatically through the ``pytest11`` entry point) and ``check_module``, the standard checks.

    from surveyapp.testing import check_module

    def test_my_module(surveyapp_make_app):
        check_module("parent_voice", surveyapp_make_app)

Names are imported on first use, so loading the pytest plugin builds nothing.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_NAMES = {
    "CHECKS": "checks", "ConformanceError": "checks", "check_module": "checks", "extreme_answers": "checks",
    "IsolatedClient": "app", "make_app": "app", "close_app": "app", "postgres_url_for": "app",
    "use_postgres": "app", "World": "world", "PASSWORD": "world",
    "answer_all": "client", "csrf_token": "client", "login": "client", "post": "client",
    "open_campaign": "campaign", "code_for": "campaign",
    "install_distribution": "install", "forget_modules": "install", "compile_catalogs": "install",
}
__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module 'surveyapp.testing' has no attribute {name!r}")
    return getattr(import_module(f".{_NAMES[name]}", __name__), name)
