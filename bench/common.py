"""Shared bench plumbing: sizes, databases, child processes with their peak RSS, medians."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("SURVEYAPP_BENCH_DIR", "/tmp/surveyapp-bench"))
PG_DIR, PG_PORT = "/tmp/bench-pg", 54339
PG_DB = "surveyapp_bench"
SECRET = "bench-secret-key-not-for-production"


@dataclass
class Size:
    name: str
    schools: int                 # city: schools in `units` wards
    units: int
    report_n: int                # responses in the report campaign
    export_ns: list[int]         # raw-sheet exports (3 sizes: memory must stay flat)
    http_seconds: int
    http_reps: int
    reps: int                    # in-process repetitions (small exports, charts)
    report_reps: int = 3         # interleaved report pairs: a full-size report varies +-15 % run to run
    split_n: int = 0             # >1,048,575 crosses Excel's row limit (full only)


SIZES = {
    "small": Size("small", schools=40, units=8, report_n=10_000, export_ns=[1_000, 2_000, 4_000],
                  http_seconds=2, http_reps=1, reps=1),
    "medium": Size("medium", schools=200, units=20, report_n=100_000, export_ns=[10_000, 40_000, 100_000],
                   http_seconds=5, http_reps=3, reps=3, report_reps=7),
    "full": Size("full", schools=1000, units=30, report_n=500_000, export_ns=[50_000, 200_000, 500_000],
                 http_seconds=10, http_reps=3, reps=3, report_reps=7,
                 split_n=1_050_000),
}


@dataclass
class Result:
    name: str
    size: str
    platform: Optional[float]
    limit: Optional[float]
    unit: str
    ratio: Optional[float]
    target: str
    met: Optional[bool]
    peak_rss_mib: Optional[float]
    details: dict[str, Any] = field(default_factory=dict)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def sqlite_url(name: str) -> str:
    WORK.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{WORK / name}"


def fresh_sqlite(name: str) -> str:
    for suffix in ("", "-wal", "-shm"):
        (WORK / f"{name}{suffix}").unlink(missing_ok=True)
    return sqlite_url(name)


def pg_start() -> Optional[str]:
    """Start the private bench cluster (not the shared test one); None if PostgreSQL is unavailable."""
    try:
        out = subprocess.run(["bash", str(ROOT / "scripts/pg-cluster.sh"), "start", PG_DIR, str(PG_PORT)],
                             check=True, capture_output=True, text=True, timeout=180)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"[bench] PostgreSQL unavailable, skipping its runs: {exc}", file=sys.stderr)
        return None
    return out.stdout.strip().rsplit("/", 1)[0] + f"/{PG_DB}"


def pg_stop() -> None:
    subprocess.run(["bash", str(ROOT / "scripts/pg-cluster.sh"), "stop", PG_DIR, str(PG_PORT)],
                   capture_output=True, timeout=120)


def fresh_pg(url: str) -> str:
    """Drop and recreate the bench database."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()
    return url


def make_app(url: str):
    """The real app plus the bench plugin, on ``url``, with every table created."""
    from surveyapp import create_app, get_registry
    from surveyapp.extensions import db
    from surveyapp.storage import sync_questionnaires

    from . import plugin
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "ENV": "production",
                      "SERVER_NAME": None}, extra_plugins=[plugin])
    with app.app_context():
        db.create_all()
        sync_questionnaires(get_registry())
    return app


def app_env(url: str) -> dict[str, str]:
    return {**os.environ, "SURVEYAPP_DATABASE_URL": url, "SURVEYAPP_SECRET_KEY": SECRET,
            "SURVEYAPP_ENV": "production", "PYTHONPATH": str(ROOT)}


def run_child(args: list[str], env: Optional[dict] = None, timeout: float = 3600) -> tuple[dict, float]:
    """Run ``python -m bench.worker ARGS``; return (its JSON output, its peak RSS in MiB)."""
    cmd = [sys.executable, "-m", "bench.worker", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env or app_env(""), stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    output = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or time.monotonic() > deadline:
        raise RuntimeError(f"bench child failed ({proc.returncode}): {' '.join(args)}")
    # ru_maxrss of a forked child can carry the parent's size from before exec(); the child's
    # own VmHWM (reported by bench.worker) is exact, the rusage figure only a fallback.
    out = json.loads(output.strip().splitlines()[-1])
    return out, out.get("vm_hwm_mib") or usage.ru_maxrss / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these live processes (Linux /proc), seconds."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_of(pid: int) -> float:
    """Peak RSS (VmHWM) of a live process, MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
