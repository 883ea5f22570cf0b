"""The conformance kit's fixtures, loaded by pytest through the ``pytest11`` entry point.

Importing this costs nothing but pytest: every fixture imports the app when it is first
requested, and none is autouse, so a test suite that asks for none of them is untouched.

- ``surveyapp_postgres_url`` (session): the worker's PostgreSQL database, or None (SQLite);
- ``surveyapp_config``: config overrides for the app (override it; default none);
- ``surveyapp_extra_plugins``: plugin objects registered beside the installed ones (default none);
- ``surveyapp_make_app``: ``make(**overrides)`` builds a fresh app on empty tables, closed after the test;
- ``surveyapp_app``: an app with every installed module (and the extra plugins);
- ``surveyapp_ctx``: a request context of ``surveyapp_app`` for the test's body;
- ``surveyapp_world``: the demo organisation tree (``surveyapp.testing.World``);
- ``surveyapp_module``: the module id the conformance tests check (override it);
- ``surveyapp_campaign``: an open campaign of that module's default questionnaire;
- ``surveyapp_respondent``: an anonymous respondent client with the access code of class 6A of school A.
"""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def surveyapp_postgres_url(request):
    """This worker's PostgreSQL database (SURVEYAPP_TEST_POSTGRES=1 and SURVEYAPP_DATABASE_URL), else None."""
    from .app import postgres_url_for, use_postgres
    if not use_postgres():
        return None
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    return postgres_url_for(worker)


@pytest.fixture
def surveyapp_config():
    """Config overrides for ``surveyapp_app``: override this fixture to change them."""
    return {}


@pytest.fixture
def surveyapp_extra_plugins():
    """Plugin objects registered beside the installed ones: override this fixture to add some."""
    return ()


@pytest.fixture
def surveyapp_make_app(tmp_path, surveyapp_postgres_url, surveyapp_extra_plugins):
    """``make(**overrides)``: a fresh app in its own folder (the first in ``tmp_path`` itself)."""
    from .app import close_app, make_app
    made = []

    def make(**overrides):
        for earlier in made:   # one database on PostgreSQL: hand back the earlier app's connections
            close_app(earlier)
        folder = tmp_path if not made else tmp_path / f"app{len(made) + 1}"
        overrides.setdefault("extra_plugins", surveyapp_extra_plugins)
        app = make_app(folder, surveyapp_postgres_url, **overrides)
        made.append(app)
        return app

    yield make
    for app in made:
        close_app(app)


@pytest.fixture
def surveyapp_app(surveyapp_make_app, surveyapp_config):
    """An app with every installed module, on empty tables."""
    return surveyapp_make_app(**surveyapp_config)


@pytest.fixture
def surveyapp_ctx(surveyapp_app):
    """A request context of ``surveyapp_app`` for the test's body (database set-up and checks)."""
    with surveyapp_app.test_request_context():
        yield surveyapp_app


@pytest.fixture
def surveyapp_world(surveyapp_ctx):
    """The demo organisation tree with one account per role (``surveyapp.testing.World``)."""
    from .world import World
    return World()


@pytest.fixture
def surveyapp_module():
    """The id of the module under test: override this fixture."""
    raise pytest.UsageError("override the 'surveyapp_module' fixture with your module's id to run the "
                            "conformance tests")


@pytest.fixture
def surveyapp_campaign(surveyapp_world, surveyapp_module):
    """An open campaign of the module's default questionnaire over the whole department."""
    from surveyapp import get_registry

    from .campaign import open_campaign
    registry = get_registry()
    module = registry.modules[surveyapp_module]
    qid = module.default_questionnaire or registry.questionnaires_for(surveyapp_module)[0].id
    return open_campaign(surveyapp_world, qid)


@pytest.fixture
def surveyapp_respondent(surveyapp_app, surveyapp_world, surveyapp_campaign):
    """A fresh anonymous client; ``.code`` is the access code it answers with."""
    from .campaign import code_for
    client = surveyapp_app.test_client()
    client.code = code_for(surveyapp_campaign, surveyapp_world.class_a6)
    return client
