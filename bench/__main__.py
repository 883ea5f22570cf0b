"""``python -m bench --size small|medium|full``: run every benchmark, print the table, write results.json."""
from __future__ import annotations

import argparse
import dataclasses
import json
import platform as pyplatform
import sys
import time
from pathlib import Path

from .common import SIZES, Result, fresh_pg, fresh_sqlite, pg_start, pg_stop

OUT = Path(__file__).parent / "results.json"
ALL = ("pages", "submit", "report", "export")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="small")
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--pg", action="store_true",
                        help="also PostgreSQL at size small (medium and full always run both databases)")
    parser.add_argument("--pg-url", help="use this PostgreSQL server (its database is dropped and recreated)")
    parser.add_argument("--keep-pg", action="store_true", help="leave the private bench cluster running")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    size, only = SIZES[args.size], set(args.only.split(","))
    started = time.perf_counter()
    results: list[Result] = []
    started_pg = False
    pg_url = args.pg_url
    # `small` is the quick check (under a minute): SQLite only unless --pg is given.
    wants_pg = not args.no_pg and (args.pg or size.name != "small")
    if wants_pg and not pg_url:
        pg_url, started_pg = pg_start(), True
    try:
        backends = [("sqlite", None)] + ([("pg", pg_url)] if pg_url else [])
        for label, url in backends:
            results += run_backend(size, only, label, url)
    finally:
        if started_pg and pg_url and not args.keep_pg:
            pg_stop()
    total = time.perf_counter() - started
    write(results, size.name, total, args.out)
    print_table(results, total, args.out)
    return 0


def run_backend(size, only: set, label: str, url) -> list[Result]:
    from . import data, http, pages
    fresh = (lambda name: fresh_sqlite(f"{name}.sqlite")) if label == "sqlite" else (lambda name: fresh_pg(url))
    results = []
    if "pages" in only and label == "sqlite":
        results.append(_step("pages", lambda: pages.run_pages(size, fresh("pages"))))
    if "submit" in only and http.have_wrk():
        results.append(_step(f"submit {label}", lambda: http.run_submit(size, label, fresh("submit"))))
    if only & {"report", "export"}:
        db_url = fresh("city")
        made = _step(f"bulk load {label}", lambda: data.build(size, db_url))
        results.append(data.load_result(size, label, made))
        if "report" in only:
            results.append(_step(f"report {label}", lambda: data.run_report(size, label, db_url, made)))
        if "export" in only:
            results += _step(f"export {label}", lambda: data.run_exports(size, label, db_url, made))
            if size.split_n:
                results.append(_step(f"split {label}", lambda: data.run_split(size, label, db_url, made)))
    return results


def _step(name: str, fn):
    began = time.perf_counter()
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    value = fn()
    print(f"[bench] {name} done in {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    return value


def write(results: list[Result], size: str, total: float, out: Path) -> None:
    payload = {"size": size, "seconds": round(total, 1), "python": pyplatform.python_version(),
               "machine": f"{pyplatform.machine()}, {_cpus()} CPUs", "when": time.strftime("%Y-%m-%d %H:%M"),
               "benchmarks": [dataclasses.asdict(r) for r in results]}
    out.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n")


def _cpus() -> int:
    import os
    return os.cpu_count() or 0


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:,.3f}" if isinstance(value, float) and value < 100 else f"{value:,.0f}"


def print_table(results: list[Result], total: float, out: Path = OUT) -> None:
    head = f"{'benchmark':<22} {'size':<6} {'platform':>12} {'limit':>12} {'unit':<22} {'ratio':>7} {'RSS MiB':>8}  target"
    print(head)
    print("-" * len(head))
    for r in results:
        mark = {True: "met", False: "MISSED", None: "-"}[r.met]
        print(f"{r.name:<22} {r.size:<6} {_fmt(r.platform):>12} {_fmt(r.limit):>12} {r.unit:<22} "
              f"{_fmt(r.ratio):>7} {_fmt(r.peak_rss_mib):>8}  {mark}: {r.target}")
    print(f"\ntotal {total:.1f} s; results in {out}")


if __name__ == "__main__":
    sys.exit(main())
