"""``python -m bench.report_cpu URL CAMPAIGN_ID [PAIRS]``: the report benchmark's pairs (platform, then the
hand-written GROUP BY) on an already loaded database, in CPU seconds (this process plus the database
backend that served each side, from /proc; PostgreSQL only), plus the release's two parts alone: its
narrow count and its decision. CPU time stays meaningful on a loaded machine where wall time does not."""
from __future__ import annotations

import json
import os
import statistics
import sys
import time

from sqlalchemy import select, text

from .common import cpu_seconds, make_app
from .worker import platform_report, raw_connection, raw_report


def _timed(pids: list[int], fn):
    cpu, wall = cpu_seconds(pids), time.perf_counter()
    value = fn()
    return value, time.perf_counter() - wall, cpu_seconds(pids) - cpu


def run(url: str, campaign_id: int, pairs: int) -> dict:
    from surveyapp.campaigns import definition_of
    from surveyapp.extensions import db
    from surveyapp.models import Campaign, OrgUnit
    from surveyapp.privacy import release
    app, me = make_app(url), os.getpid()
    conn, dialect = raw_connection(url)
    raw_pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    figures: dict[str, list[float]] = {k: [] for k in ("platform", "raw", "count", "decision")}
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        slots = [(i, info.slot, [o.value for o in info.options])
                 for i, info in definition_of(campaign).items.items() if info.slot]
        for _ in range(pairs):
            parent_of = dict(db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)).all())
            pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            mine, _w, cpu = _timed([me, pid], lambda: platform_report(campaign, parent_of))
            figures["platform"].append(cpu)
            db.session.rollback()
            theirs, _w, cpu = _timed([me, raw_pid], lambda: raw_report(conn, dialect, campaign_id, slots, parent_of))
            figures["raw"].append(cpu)
            pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            atoms, _w, cpu = _timed([me, pid], lambda: release._atoms(campaign_id))
            figures["count"].append(cpu)
            _r, _w, cpu = _timed([me], lambda: release.compute_release(campaign, reuse=False, atoms=atoms))
            figures["decision"].append(cpu)
            db.session.rollback()
    medians = {k: round(statistics.median(v), 3) for k, v in figures.items()}
    return {"equal": mine == theirs, "cpu_s_median": medians, "ratio": round(medians["platform"] / medians["raw"], 3),
            "pair_ratios": sorted(round(a / b, 2) for a, b in zip(figures["platform"], figures["raw"])),
            "cpu_s": figures}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 7)))
