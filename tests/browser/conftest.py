"""A real server in a thread on a fresh database with the demo, and Debian's Chromium.

Chromium comes from the distribution (``/usr/bin/chromium``; ``SURVEYAPP_CHROMIUM``
overrides); Playwright's own browser download is not used. Without a browser
the tests skip, unless ``SURVEYAPP_REQUIRE_BROWSER=1`` (CI), where they fail.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from conftest import USE_POSTGRES, _postgres_url, make_app
from surveyapp.extensions import db

CHROMIUM = os.environ.get("SURVEYAPP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DEMO_PASSWORD = "surveyapp-demo"


def _unavailable(reason: str):
    if os.environ.get("SURVEYAPP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SURVEYAPP_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - any launch failure means "no usable browser"
        playwright.stop()
        _unavailable(f"Chromium at {CHROMIUM} did not start: {exc}")
    yield chromium
    chromium.close()
    playwright.stop()


class LiveServer:
    """The real app served by werkzeug on 127.0.0.1 and a free port."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="live-server")
        self.thread.start()

    def query(self, function):
        """Run ``function()`` in an app context of its own and return its result."""
        with self.app.app_context():
            try:
                return function()
            finally:
                db.session.remove()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(request, tmp_path_factory):
    database = None
    if USE_POSTGRES:  # a database of its own: other tests of this worker drop theirs
        worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
        database = _postgres_url(f"{worker}_web")
    folder = tmp_path_factory.mktemp("live")
    app = make_app(folder, database, SERVER_NAME=None, TESTING=False)
    with app.test_request_context():  # as `surveyapp demo` would, with a request for plugins' locale
        from surveyapp.demo import load_demo
        load_demo(responses_per_class=4)  # fewer synthetic answers: a faster start, same pages
        db.session.remove()
    server = LiveServer(app)
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def context_factory(browser):
    """New isolated browser contexts (phone-sized by default); all closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", {"width": 360, "height": 640})
        options.setdefault("locale", "vi-VN")
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/ for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def navigate(page, locator) -> None:
    """Click something that loads a new page and wait until the new page has loaded."""
    with page.expect_navigation():
        locator.click()
