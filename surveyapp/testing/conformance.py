"""The standard checks as test functions: import them into a test module of your plugin.

    # tests/test_conformance.py
    import pytest
    from surveyapp.testing.conformance import test_module_conforms  # noqa: F401  (collected here)

    @pytest.fixture
    def surveyapp_module():
        return "parent_voice"

pytest then runs one test per check (``test_module_conforms[listed]`` ...).
"""
from __future__ import annotations

import pytest

from .checks import CHECKS, check_module


@pytest.mark.parametrize("check", CHECKS)
def test_module_conforms(check, surveyapp_module, surveyapp_make_app):
    check_module(surveyapp_module, surveyapp_make_app, checks=[check])
