"""Web defences: CSRF on every POST route, attempt limits, cookies, headers, secrets.

Code guessing per device is covered in test_respond.py; these tests add the
account, address and one-time-token keys.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from conftest import PASSWORD, csrf_token, login, make_app
from surveyapp import sessions
from surveyapp import create_app
from surveyapp.campaigns import create_campaign, set_status
from surveyapp.config import ConfigError
from surveyapp.extensions import db
from surveyapp.models import AccessCode
from surveyapp.respondent import issue_tokens
from surveyapp import codeguard as respond_views
from security_site import view_rules

# -- CSRF ------------------------------------------------------------------------------------------


def _post_urls(app) -> list[str]:
    urls = []
    with app.test_request_context():
        for rule in view_rules(app):
            if "POST" in rule.methods:
                values = {name: 1 for name in rule.arguments}
                urls.append(rule.build(values, append_unknown=False)[1])
    return urls


def test_every_post_route_refuses_a_form_without_its_token(app, world, client):
    login(client, "dept_admin")
    urls = _post_urls(app)
    assert len(urls) >= 8
    accepted = {url: client.post(url, data={"status": "closed", "code": "X"}).status_code for url in urls}
    accepted = {url: status for url, status in accepted.items() if status != 400}
    assert not accepted, f"POST without a CSRF token was not refused: {accepted}"


def test_a_token_from_another_session_is_refused(app, world):
    attacker, victim = app.test_client(), app.test_client()
    stolen = csrf_token(attacker)
    login(victim, "dept_admin")
    forged = victim.post("/admin/users", data={"csrf_token": stolen, "user-username": "mallory",
                                               "user-password": "new-admin-phrase", "user-role": "admin",
                                               "user-org": str(world.dept.id)})
    assert forged.status_code == 400
    genuine = victim.post("/s", data={"csrf_token": csrf_token(victim), "code": "ACDEFH"})
    assert genuine.status_code == 302  # the same post with its own token goes through


# -- attempt limits --------------------------------------------------------------------------------


def _try_login(client, username: str, password: str, address: str):
    token = csrf_token(client)
    return client.post("/login?lang=en", data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_password_guessing_slows_the_guesser_not_the_owner(app, world):
    """Failures are counted per (account, client address): after three free tries the
    guesser waits 2, 4, 8 ... seconds; the owner at another address signs in at once."""
    from surveyapp import signin
    attacker = app.test_client()
    for attempt in range(4):
        assert _try_login(attacker, "school_admin", f"wrong-{attempt}", "198.51.100.7").status_code == 200
    with app.test_request_context():
        assert signin.wait_seconds("school_admin", "198.51.100.7") > 0
        for _ in range(4):
            signin.failed("school_admin", "198.51.100.7")  # four more failures: a 32-second wait
        assert 16 < signin.wait_seconds("school_admin", "198.51.100.7") <= 32
    blocked = _try_login(attacker, "school_admin", PASSWORD, "198.51.100.7")
    assert blocked.status_code == 429, "even the right password waits on the guessing client"
    assert "Try again in" in blocked.get_data(as_text=True)
    assert _try_login(app.test_client(), "school_admin", PASSWORD, "203.0.113.9").status_code == 302
    colleague = _try_login(app.test_client(), "counsellor", PASSWORD, "198.51.100.7")
    assert colleague.status_code == 302, "other accounts behind the same address are not slowed"


def test_delays_grow_and_are_capped():
    from surveyapp.signin import MAX_DELAY, delay_after
    delays = [delay_after(n).total_seconds() for n in range(1, 16)]
    assert delays[:3] == [0, 0, 0] and delays[3:6] == [2, 4, 8]
    assert all(a <= b for a, b in zip(delays, delays[1:])) and delays[-1] == MAX_DELAY.total_seconds()


def test_unknown_accounts_are_checked_against_a_password_hash_too(app, world, monkeypatch):
    """The same hashing work for an unknown name as for a known one (no timing oracle)."""
    from surveyapp import signin
    from werkzeug import security
    calls = []
    original = security.check_password_hash
    monkeypatch.setattr(signin, "check_password_hash", lambda h, p: calls.append(h) or original(h, p))
    assert _try_login(app.test_client(), "nobody-here", "whatever-pass", "198.51.100.9").status_code == 200
    assert len(calls) == 1 and calls[0].startswith("pbkdf2:sha256:1000")


def test_attempt_windows_are_slices_of_the_clock_and_rows_go_when_they_end(app, monkeypatch):
    """A row keeps no attempt's own minute, only the end of its ten-minute slice, and is
    deleted once the slice is over (a burst straddling two slices gets at most twice the limit)."""
    from surveyapp import ratelimit
    from surveyapp.models import RateCounter
    minute = [29_000_003]
    monkeypatch.setattr(ratelimit, "_minute", lambda: minute[0])
    with app.test_request_context():
        assert [ratelimit.hit("k", 3, 600) for _ in range(3)] == [True] * 3
        minute[0] += 1
        assert ratelimit.hit("k", 3, 600) is False and ratelimit.exceeded("k", 3, 600)
        assert db.session.execute(select(RateCounter.window)).scalar_one() == 29_000_010
        minute[0] = 29_000_010  # the slice is over
        assert not ratelimit.exceeded("k", 3, 600)
        ratelimit.hit("other", 3, 600)  # any new counter clears finished slices
        assert db.session.execute(select(RateCounter.window)).scalars().all() == [29_000_020]
        assert [ratelimit.hit("k", 3, 600) for _ in range(4)] == [True, True, True, False]


def test_password_spraying_from_one_address_is_limited(app, world, monkeypatch):
    """One password tried on many accounts: the per-account key never trips, the address key does."""
    from surveyapp.views import auth
    monkeypatch.setattr(auth, "LOGIN_ATTEMPTS_PER_ADDRESS", 15)
    attacker = app.test_client()
    statuses = [_try_login(attacker, f"user{i}", "Summer2025!", "198.51.100.50").status_code for i in range(16)]
    assert statuses[:15] == [200] * 15 and statuses[15] == 429
    # the limit is on failures: staff at another address sign in normally
    assert _try_login(app.test_client(), "viewer", PASSWORD, "203.0.113.10").status_code == 302


@pytest.fixture
def token_campaign(world):
    from surveyapp import get_registry
    definition = get_registry().questionnaires["school_dialogue.dialogue"]
    campaign = create_campaign(name="Tokens", definition=definition, owner=world.dept, scope=[world.school_a],
                               user_id=None, settings={"tokens": True})
    set_status(campaign, "open")
    db.session.commit()
    access = db.session.execute(select(AccessCode).filter_by(campaign_id=campaign.id)).scalars().first()
    issue_tokens(access, 3)
    db.session.commit()
    return access


def test_one_time_token_guessing_is_limited_per_device(app, token_campaign):
    device = app.test_client()
    statuses = [device.post(f"/s/{token_campaign.code}",
                            data={"csrf_token": csrf_token(device), "token": f"GUESS{i:03d}"}).status_code
                for i in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429


def test_code_guessing_with_fresh_sessions_is_limited_per_address(app, world, monkeypatch):
    """Dropping the cookie gives a new device key; the looser address key still stops the attack."""
    monkeypatch.setattr(respond_views, "GUESSES_PER_ADDRESS", 20)
    statuses = [app.test_client().get(f"/s/AAAA{i:02d}", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code
                for i in range(21)]
    assert statuses[:20] == [404] * 20 and statuses[20] == 429
    other_school = app.test_client().get("/s/AAAA99", environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert other_school.status_code == 404


# -- cookies ---------------------------------------------------------------------------------------


def _cookie_flags(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert headers, f"no {name} cookie set"
    return headers[-1].lower()


def _remembered_login(client):
    return client.post("/login", data={"csrf_token": csrf_token(client), "username": "dept_admin",
                                       "password": PASSWORD, "remember": "y"})


def test_cookies_are_httponly_and_samesite(app, world, client):
    response = _remembered_login(client)
    for name in ("session", sessions.COOKIE):
        flags = _cookie_flags(response, name)
        assert "httponly" in flags and "samesite=lax" in flags, flags
        assert "secure" not in flags.replace("samesite", "")  # plain http in development


def test_cookies_are_secure_behind_https(tmp_path, postgres_url, monkeypatch):
    monkeypatch.setenv("SURVEYAPP_SECURE_COOKIES", "1")
    app = make_app(tmp_path, postgres_url)
    with app.app_context():
        from conftest import World
        World()
        client = app.test_client()
        response = _remembered_login(client)
        for name in ("session", sessions.COOKIE):
            flags = _cookie_flags(response, name)
            assert "; secure" in flags and "httponly" in flags and "samesite=lax" in flags, flags
        assert "max-age" in client.get("/").headers.get("Strict-Transport-Security", "")
        db.session.remove()
        db.engine.dispose()


# -- headers ---------------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def check_page_headers(response, url: str) -> list[str]:
    """Problems with one response's security headers and, for HTML, its inline code."""
    problems = []
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part for part in csp.split(";") if part.strip() for part in [part.strip()]}
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{url}: X-Content-Type-Options missing")
    if "frame-ancestors 'none'" not in csp and "frame-ancestors 'self'" not in csp:
        problems.append(f"{url}: CSP lacks frame-ancestors")
    script = directives.get("script-src") or directives.get("default-src", "")
    if not script or "'unsafe-inline'" in script or "'unsafe-eval'" in script or "*" in script.split():
        problems.append(f"{url}: CSP allows inline or foreign script ({script!r})")
    if "text/html" in headers.get("Content-Type", ""):
        html = response.get_data(as_text=True)
        for pattern, what in ((INLINE_SCRIPT, "inline <script>"), (EVENT_HANDLER, "on* handler"),
                              (STYLE_ATTRIBUTE, "style= attribute")):
            match = pattern.search(html)
            if match:
                problems.append(f"{url}: {what}: {match.group(0)[:80]}")
    return problems


def test_student_pages_have_a_strict_policy_and_no_inline_code(app, world, client):
    from surveyapp import get_registry
    definition = get_registry().questionnaires["school_dialogue.dialogue"]
    campaign = create_campaign(name="Dialogue", definition=definition, owner=world.dept, scope=[world.school_a],
                               user_id=None)
    set_status(campaign, "open")
    db.session.commit()
    code = db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id)).scalars().first()
    pages = {"/s": client.get("/s"), f"/s/{code}": client.get(f"/s/{code}"),
             "/s/NOPE99": client.get("/s/NOPE99")}
    started = client.post(f"/s/{code}", data={"csrf_token": csrf_token(client)})
    first = started.headers["Location"]
    pages[first] = client.get(first)
    pages[f"/s/{code}/done"] = client.get(f"/s/{code}/done")
    problems = [p for url, response in pages.items() for p in check_page_headers(response, url)]
    assert not problems, "\n".join(problems)
    assert pages[first].status_code == 200 and 'name="action"' in pages[first].get_data(as_text=True)
    assert all(r.headers.get("Cache-Control") == "no-store" for r in pages.values())


def test_signed_in_pages_have_the_headers_and_are_not_cached(app, world, client):
    login(client, "dept_admin")
    problems = []
    with app.test_request_context():
        urls = [rule.build({}, append_unknown=False)[1] for rule in view_rules(app)
                if "GET" in rule.methods and not rule.arguments]
    for url in urls + ["/no-such-page"]:
        response = client.get(url)
        problems += check_page_headers(response, url)
        if response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", ""):
            problems.append(f"{url}: a signed-in page may be kept in the browser cache")
    assert not problems, "\n".join(problems)


# -- secrets ---------------------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SURVEYAPP_SECRET_KEY", raising=False)
    monkeypatch.setenv("SURVEYAPP_ENV", "production")
    with pytest.raises(ConfigError, match="SURVEYAPP_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}"})
    assert not (tmp_path / "dev-secret-key").exists()


def _cli(args: list[str], tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")}
    clean.update({"SURVEYAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", **env})
    command = [sys.executable, "-c", "from surveyapp.cli import main; main()", *args]
    return subprocess.run(command, env=clean, capture_output=True, text=True, timeout=120)


def test_the_command_line_app_refuses_production_without_a_key(tmp_path):
    refused = _cli(["plugins"], tmp_path, SURVEYAPP_ENV="production")
    assert refused.returncode != 0 and "SURVEYAPP_SECRET_KEY" in refused.stderr
    started = _cli(["plugins"], tmp_path, SURVEYAPP_ENV="production", SURVEYAPP_SECRET_KEY="k" * 40)
    assert started.returncode == 0, started.stderr[-2000:]
    assert "school_dialogue" in started.stdout


def test_a_forged_forwarded_for_header_does_not_give_a_fresh_address(app, world, monkeypatch):
    """Without a configured proxy (SURVEYAPP_PROXY_HOPS) X-Forwarded-For is ignored."""
    monkeypatch.setattr(respond_views, "GUESSES_PER_ADDRESS", 5)
    statuses = [app.test_client().get(f"/s/AAAA{i:02d}", environ_base={"REMOTE_ADDR": "198.51.100.9"},
                                      headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code for i in range(6)]
    assert statuses[-1] == 429
