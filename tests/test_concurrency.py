"""Concurrent submissions under gunicorn (several sync workers): nothing lost, nothing duplicated.

Each client plays a student on a fresh device: opens the code, starts (a draft and a
session cookie), posts the 30-item page with "send". Some re-post the same final form
afterwards, some post it twice at the same moment (a double tap). SQLite runs in WAL
mode with a busy timeout; PostgreSQL runs when SURVEYAPP_TEST_POSTGRES=1.
"""
from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from conftest import make_app

pytest.importorskip("gunicorn")

CLIENTS = 50
PER_CLIENT = int(os.environ.get("SURVEYAPP_CONCURRENCY_PER_CLIENT", "5"))
FORBIDDEN = ("database is locked", "Internal Server Error", "Traceback")


class Device:
    """One browser: its own cookie, talking to gunicorn over loopback."""

    def __init__(self, port: int):
        self.port, self.cookie = port, ""

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        conn.close()
        assert response.status < 500 and not any(bad in text for bad in FORBIDDEN), (response.status, text[:500])
        return response.status, response.getheader("Location") or "", text


def _csrf(html: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def one_submission(port: int, code: str, rng: random.Random, double: str | None) -> None:
    """Start, answer, send; ``double`` re-posts the final form ("after") or in parallel ("together")."""
    device = Device(port)
    status, _, html = device.request("GET", f"/s/{code}")
    assert status == 200
    status, location, _ = device.request("POST", f"/s/{code}", urlencode({"csrf_token": _csrf(html)}))
    assert status == 302 and location.endswith(f"/s/{code}/p/1"), location
    status, _, html = device.request("GET", f"/s/{code}/p/1")
    assert status == 200
    answers = {f"q{n:02d}": str(rng.randint(1, 5)) for n in range(1, 31)}
    body = urlencode({"csrf_token": _csrf(html), "action": "submit", **answers})
    cookie = device.cookie
    if double == "together":
        twin = Device(port)
        twin.cookie = cookie
        thread = threading.Thread(target=_send, args=(twin, code, body, True))
        thread.start()
        _send(device, code, body, True)
        thread.join()
    else:
        _send(device, code, body)
    if double == "after":
        replay = Device(port)
        replay.cookie = cookie  # the very same pre-submission cookie and form
        status, location, _ = replay.request("POST", f"/s/{code}/p/1", body)
        assert status == 302 and location.endswith("/done"), location


def _send(device: Device, code: str, body: str, twin: bool = False) -> None:
    """Press send; when the server says it is busy (answers kept), press it again, as a student would.

    Of two simultaneous posts (``twin``), one may pass the re-post guard while the draft
    still exists and find it gone a moment later: it then lands on the start page, which is
    no duplicate (the count below proves it) but not the thank-you page either."""
    for _attempt in range(10):
        status, location, _ = device.request("POST", f"/s/{code}/p/1", body)
        assert status == 302, status
        if location.endswith("/done") or (twin and location.endswith(f"/s/{code}")):
            return
        assert location.endswith(f"/s/{code}/p/1"), location
    raise AssertionError("still busy after 10 presses")


@pytest.fixture
def served(tmp_path, postgres_url):
    if shutil.which("pgrep") is None:
        pytest.skip("pgrep is needed to find gunicorn's workers")
    from bench import plugin
    from bench.dataset import build_city, first_codes, open_campaign
    from bench.http import Gunicorn
    from surveyapp.extensions import db
    app = make_app(tmp_path, postgres_url, extra_plugins=[plugin], SERVER_NAME=None)
    with app.app_context():
        campaign = open_campaign(build_city(4, 2))
        codes, campaign_id = first_codes(campaign, 16), campaign.id
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    server = Gunicorn("bench.wsgi:platform()", url, workers=4, log=tmp_path / "gunicorn.log")
    try:
        yield app, server.port, codes, campaign_id
    finally:
        server.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_burst_of_submissions_loses_and_duplicates_nothing(served, tmp_path):
    from surveyapp.extensions import db
    from surveyapp.models import RespondentDraft, Response, SentMark
    app, port, codes, campaign_id = served
    jobs = []
    for client in range(CLIENTS):
        for k in range(PER_CLIENT):
            double = "after" if k % 5 == 1 else "together" if k % 5 == 3 else None
            jobs.append((codes[(client + k) % len(codes)], random.Random(client * 1000 + k), double))

    def run_client(client: int) -> int:
        for code, rng, double in jobs[client * PER_CLIENT:(client + 1) * PER_CLIENT]:
            one_submission(port, code, rng, double)
        return PER_CLIENT

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            sent = sum(pool.map(run_client, range(CLIENTS)))
    except AssertionError:
        print((tmp_path / "gunicorn.log").read_text()[-6000:])  # the server's traceback
        raise

    with app.app_context():
        stored = db.session.execute(select(func.count(Response.id)).filter_by(campaign_id=campaign_id)).scalar()
        keys = db.session.execute(select(func.count()).select_from(SentMark)).scalar() // 2  # used + post mark
        drafts_left = db.session.execute(select(func.count()).select_from(RespondentDraft)).scalar()
        per_code = dict(db.session.execute(select(Response.school_id, func.count()).filter_by(
            campaign_id=campaign_id).group_by(Response.school_id)).all())
    assert sent == CLIENTS * PER_CLIENT
    assert stored == sent, f"{sent} distinct submissions, {stored} stored"
    assert keys == stored  # every submission marked once: none stored twice
    assert drafts_left == 0  # every draft became its response
    assert sum(per_code.values()) == sent
