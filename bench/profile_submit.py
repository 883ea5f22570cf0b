"""cProfile of the real final POST of the 30-item survey, in-process (no HTTP): where a submission's
time goes. ``python -m bench.profile_submit [N]`` prints ms per request and the top functions.

``--plain N`` only makes 20 + N submissions (no profiler), for an instruction count that the
machine's load cannot disturb: run it under ``valgrind --tool=cachegrind --cache-sim=no`` with
N=0 and N=200; the difference of the two "I refs" divided by 200 is the instructions per
submission (docs/performance.md)."""
from __future__ import annotations

import cProfile
import pstats
import sys
import time

from .common import fresh_sqlite, make_app
from .http import _campaign, make_requests


def main(n: int = 200, plain: bool = False) -> None:
    app = make_app(fresh_sqlite("profile.sqlite"))
    cid, codes = _campaign(app)
    # --plain: the same set-up whatever N, so that two counts differ by the N submissions only
    lines = make_requests(app, cid, codes, 420 if plain else 2 * n + 20, seed=3)
    client = app.test_client()

    def post(line):
        path, cookie, body = line
        name, value = cookie.split("=", 1)
        client.set_cookie(name, value)
        response = client.post(path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/done")

    for line in lines[:20]:
        post(line)
    if plain:
        for line in lines[20:20 + min(n, 400)]:
            post(line)
        return
    started, cpu = time.perf_counter(), time.process_time()
    for line in lines[20:20 + n]:
        post(line)
    print(f"{(time.perf_counter() - started) / n * 1000:.2f} ms per submission, "
          f"{(time.process_time() - cpu) / n * 1000:.2f} ms of CPU (in-process, no profiler)")
    print(f"{_bare_cpu_ms(lines[20:20 + n]):.2f} ms of CPU per request for bare Flask, same requests")
    profile = cProfile.Profile()
    profile.enable()
    for line in lines[20 + n:]:
        post(line)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(r"surveyapp|sqlalchemy/orm/session|flask_wtf|sessions", 25)


def _bare_cpu_ms(lines) -> float:
    """The same requests against the bench's bare Flask endpoint: the in-process floor."""
    from .wsgi import hello
    client = hello.test_client()
    cpu = time.process_time()
    for path, cookie, body in lines:
        name, value = cookie.split("=", 1)
        client.set_cookie(name, value)
        client.post(path, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    return (time.process_time() - cpu) / len(lines) * 1000


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--plain"]
    main(int(args[0]) if args else 200, plain="--plain" in sys.argv[1:])
