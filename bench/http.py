"""Submission throughput: the real student route under gunicorn vs a bare Flask endpoint.

Both apps run under the same gunicorn settings (sync workers, loopback); wrk keeps 16
connections busy for a fixed time. Every platform request is the FINAL POST of a
30-item one-page survey with its own draft and signed session cookie (pre-created in
bulk), so it validates, scores, stores the response and deletes the draft.
"""
from __future__ import annotations

import http.client
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from .common import WORK, app_env, cpu_seconds, median, rss_of

WORKERS = 4
CONNECTIONS = 16
LUA = """
local reqs, i = {}, 0
init = function(args)
  for line in io.lines(args[1]) do
    local path, cookie, body = line:match("([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)")
    reqs[#reqs + 1] = wrk.format("POST", path, {["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
  end
end
request = function()
  i = i + 1
  if i > #reqs then i = 1 end
  return reqs[i]
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """One gunicorn master on loopback, stopped by its own PID."""

    def __init__(self, target: str, url: str, workers: int = WORKERS, log: Path | None = None):
        self.port = free_port()
        WORK.mkdir(parents=True, exist_ok=True)
        self.log = log or WORK / f"gunicorn-{self.port}.log"
        self._log_handle = open(self.log, "w")
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
               "--timeout", "120", target]
        self.proc = subprocess.Popen(cmd, env=app_env(url), cwd=str(Path(__file__).parent.parent),
                                     stdout=subprocess.DEVNULL, stderr=self._log_handle)
        self._wait()

    def _wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/s")
                conn.getresponse().read()
                if len(self.worker_pids()) >= 1:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def peak_rss(self) -> float:
        return max([rss_of(p) for p in self.worker_pids()] or [0.0])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: in-flight requests finish
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_handle.close()


def survey_body(rng: random.Random, csrf: str) -> str:
    fields = {"csrf_token": csrf, "action": "submit"}
    fields.update({f"q{n:02d}": str(rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 3, 4, 3])[0]) for n in range(1, 31)})
    return urlencode(fields)


def make_requests(app, campaign_id: int, codes: list[str], count: int, seed: int) -> list[tuple[str, str, str]]:
    """``count`` drafts inserted in one statement, each with a session cookie holding its id and CSRF token."""
    from flask import session
    from flask_wtf.csrf import generate_csrf
    from sqlalchemy import insert, select

    from surveyapp.extensions import db
    from surveyapp.models import AccessCode, RespondentDraft, today
    from surveyapp.respondent import draft_key
    rng = random.Random(seed)
    with app.app_context():
        code_ids = dict(db.session.execute(select(AccessCode.code, AccessCode.id)
                                           .where(AccessCode.code.in_(codes))).all())
        cookie_ids = [secrets.token_urlsafe(32) for _ in range(count)]
        drafts = [{"id": draft_key(cookie_ids[i]), "access_code_id": code_ids[codes[i % len(codes)]],
                   "answers": {}, "page": 0, "locale": "vi", "updated_on": today()} for i in range(count)]
        db.session.execute(insert(RespondentDraft), drafts)
        db.session.commit()
    serializer = app.session_interface.get_signing_serializer(app)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    lines = []
    for i, draft in enumerate(drafts):
        code = codes[i % len(codes)]
        with app.test_request_context(f"/s/{code}/p/1"):
            session["drafts"] = {code: cookie_ids[i]}
            csrf = generate_csrf()
            cookie = f"{cookie_name}={serializer.dumps(dict(session))}"
        lines.append((f"/s/{code}/p/1", cookie, survey_body(rng, csrf)))
    return lines


def check_one(port: int, line: tuple[str, str, str]) -> None:
    """The crafted request must be a real, successful submission (302 to the thank-you page)."""
    path, cookie, body = line
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", path, body=body, headers={"Cookie": cookie,
                                                   "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    location = response.getheader("Location") or ""
    if response.status != 302 or not location.endswith("/done"):
        raise RuntimeError(f"bench submission failed: {response.status} -> {location}")


def wrk(port: int, seconds: float, lines: list[tuple[str, str, str]] | None, tag: str) -> dict:
    """One wrk run; returns req/s, p50/p99 ms, completed and failed requests."""
    WORK.mkdir(parents=True, exist_ok=True)
    script = WORK / "post.lua"
    script.write_text(LUA)
    data = WORK / f"requests-{tag}.tsv"
    data.write_text("\n".join("\t".join(line) for line in (lines or [("/", "x=1", "a=1")])) + "\n")
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(script),
           f"http://127.0.0.1:{port}", "--", str(data)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def measured_wrk(server: Gunicorn, seconds: float, lines, tag: str) -> dict:
    """``wrk`` plus where the CPU went: ms of CPU per request in the app server (master and
    workers) and in the database server's processes, and how many of the machine's cores were
    busy in all (app, database, wrk). About all cores busy means the run is CPU-bound."""
    app_pids, db_pids = server.worker_pids() + [server.proc.pid], _db_server_pids()
    app_before, db_before = cpu_seconds(app_pids), cpu_seconds(db_pids)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = wrk(server.port, seconds, lines, tag)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    app_cpu, db_cpu = cpu_seconds(app_pids) - app_before, cpu_seconds(db_pids) - db_before
    wrk_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    done = max(result["requests"], 1)
    result.update(app_cpu_ms=round(app_cpu / done * 1000, 3), db_cpu_ms=round(db_cpu / done * 1000, 3),
                  cores_busy=round((app_cpu + db_cpu + wrk_cpu) / elapsed, 2))
    return result


def _db_server_pids() -> list[int]:
    """PostgreSQL's processes (none for SQLite, which runs inside the app server)."""
    out = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _ms(text: str) -> float:
    """wrk prints latencies as 850.00us, 12.34ms, 1.20s or 1.05m."""
    match = re.match(r"([\d.]+)(us|ms|s|m)\b", text.strip())
    if match is None:
        raise ValueError(f"unreadable wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> dict:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    done = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rate, "p50_ms": _ms(re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE).group(1)),
            "p99_ms": _ms(re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE).group(1)), "requests": done,
            "non_2xx_3xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else ""}


def have_wrk() -> bool:
    if shutil.which("wrk"):
        return True
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True)  # Debian's wrk, as root
    return shutil.which("wrk") is not None


TARGETS = {"sqlite": 0.35, "pg": 0.15}
P99_TARGET = 10.0


def _campaign(app):
    from .dataset import build_city, first_codes, open_campaign
    with app.app_context():
        dept = build_city(10, 2)
        campaign = open_campaign(dept)
        return campaign.id, first_codes(campaign, 40)


def _pool(app, cid, codes, rate: float, seconds: float, seed: int):
    return make_requests(app, cid, codes, int(rate * seconds * 1.6) + 300, seed)


def run_submit(size, label: str, url: str):
    """Interleaved repetitions of hello and the platform; ratios taken within each repetition."""
    from .common import make_app
    app = make_app(url)
    cid, codes = _campaign(app)
    hello, platform = Gunicorn("bench.wsgi:hello", url), None
    reps, made, counted, exhausted = [], 0, 0, False
    try:
        platform = Gunicorn("bench.wsgi:platform()", url)
        check_one(platform.port, make_requests(app, cid, codes, 1, seed=0)[0])
        made, counted = 1, 1
        wrk(hello.port, 1, None, "hello-warm")
        warm = make_requests(app, cid, codes, 2500, seed=1)
        w = wrk(platform.port, 1, warm, "warm")
        made, counted = made + len(warm), counted + w["requests"]
        for rep in range(size.http_reps):
            h = measured_wrk(hello, size.http_seconds, None, "hello")
            lines = _pool(app, cid, codes, max(w["rps"], 50), size.http_seconds, seed=10 + rep)
            p = measured_wrk(platform, size.http_seconds, lines, f"platform-{rep}")
            exhausted |= p["requests"] >= len(lines)
            made, counted = made + len(lines), counted + p["requests"]
            reps.append((h, p))
        rss = platform.peak_rss()
    finally:
        hello.stop()
        if platform:
            platform.stop()
    integrity = _integrity(app, cid, made, counted)
    return _submit_result(size, label, reps, rss, integrity, exhausted)


def _integrity(app, cid: int, made: int, counted: int) -> dict:
    """Every consumed draft became exactly one response; none was left half-sent."""
    from sqlalchemy import func, select

    from surveyapp.extensions import db
    from surveyapp.models import RespondentDraft, Response, SentMark
    with app.app_context():
        stored = db.session.execute(select(func.count(Response.id)).filter_by(campaign_id=cid)).scalar()
        # each sent draft leaves a used and a post mark (the only submission runs on this database)
        keys = db.session.execute(select(func.count()).select_from(SentMark)).scalar() // 2
        left = db.session.execute(select(RespondentDraft.answers)).scalars().all()
    return {"stored": stored, "distinct_keys": keys, "drafts_made": made, "drafts_left": len(left),
            "consumed": made - len(left), "half_sent": sum(1 for a in left if a),
            "wrk_completed": counted,
            "ok": stored == keys == made - len(left) and not any(left) and stored >= counted}


def _submit_result(size, label, reps, rss, integrity, exhausted):
    from .common import Result
    ratios = [p["rps"] / h["rps"] for h, p in reps]
    p99_ratios = [p["p99_ms"] / h["p99_ms"] for h, p in reps]
    ratio, p99_ratio = median(ratios), median(p99_ratios)
    bad = sum(p["non_2xx_3xx"] for _, p in reps)
    met = ratio >= TARGETS[label] and p99_ratio <= P99_TARGET and integrity["ok"] and not bad
    details = {"workers": f"gunicorn sync x{WORKERS}", "connections": CONNECTIONS, "seconds": size.http_seconds,
               "reps": len(reps), "ratios": [round(r, 3) for r in ratios],
               "platform_p50_ms": median([p["p50_ms"] for _, p in reps]),
               "platform_p99_ms": median([p["p99_ms"] for _, p in reps]),
               "hello_p50_ms": median([h["p50_ms"] for h, _ in reps]),
               "hello_p99_ms": median([h["p99_ms"] for h, _ in reps]),
               "p99_ratio": round(p99_ratio, 2), "non_2xx_3xx": bad, "pool_exhausted": exhausted,
               # what limits it: CPU per request where it was spent, and whether the cores were all busy
               "platform_app_cpu_ms": median([p["app_cpu_ms"] for _, p in reps]),
               "platform_db_cpu_ms": median([p["db_cpu_ms"] for _, p in reps]),
               "hello_app_cpu_ms": median([h["app_cpu_ms"] for h, _ in reps]),
               "platform_cores_busy": median([p["cores_busy"] for _, p in reps]),
               "hello_cores_busy": median([h["cores_busy"] for h, _ in reps]),
               "integrity": integrity}
    return Result(f"submit_{label}", size.name, round(median([p["rps"] for _, p in reps]), 1),
                  round(median([h["rps"] for h, _ in reps]), 1), "req/s", round(ratio, 3),
                  f">= {TARGETS[label]}x bare, p99 <= {P99_TARGET:g}x", met, round(rss, 1), details)
