"""Report, export and bulk-load benchmarks on a generated city (one database per backend)."""
from __future__ import annotations

from .common import WORK, Result, app_env, make_app, median, run_child

REPORT_TARGET, EXPORT_TARGET, CHART_TARGET, RSS_FLAT = 1.0, 1.2, 1.5, 0.20


def build(size, url: str) -> dict:
    """The city plus one campaign per size needed; returns campaign ids and load figures."""
    from .dataset import build_city, campaign_with
    app = make_app(url)
    made = {"report": None, "exports": {}, "load": []}
    with app.app_context():
        dept = build_city(size.schools, size.units)
        campaign, load = campaign_with(dept, size.report_n, seed=1)
        made["report"] = campaign.id
        made["load"].append(load)
        for n in size.export_ns:
            if n == size.report_n:
                made["exports"][n] = campaign.id
                continue
            other, load = campaign_with(dept, n, seed=n)
            made["exports"][n] = other.id
            made["load"].append(load)
        if size.split_n:
            tiny, load = campaign_with(dept, size.split_n, qid="bench.tiny", seed=3)
            made["split"] = tiny.id
            made["load"].append(load)
    _settle(app, url)
    return made


def _settle(app, url: str) -> None:
    """PostgreSQL: VACUUM ANALYZE after the bulk load, as autovacuum would soon after in a deployment
    (its visibility map lets index-only scans skip the table). Before either side is timed, so both alike."""
    if not url.startswith("postgresql"):
        return
    from surveyapp.extensions import db
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def load_result(size, label: str, made: dict) -> Result:
    rows = sum(x["rows"] for x in made["load"])
    seconds = sum(x["seconds"] for x in made["load"])
    return Result(f"bulk_load_{label}", size.name, round(rows / seconds), None, "responses/s", None,
                  "500k responses in a few minutes", rows / seconds * 180 >= 500_000, None,
                  {"runs": made["load"], "method": "COPY" if label == "pg" else "executemany"})


def run_report(size, label: str, url: str, made: dict) -> Result:
    out, rss = run_child(["report", url, str(made["report"]), str(size.report_reps)], env=app_env(url))
    platform, limit = median(out["platform_s"]), median(out["limit_s"])
    ratio = platform / limit
    return Result(f"report_{label}", size.name, round(platform, 3), round(limit, 3), "s", round(ratio, 3),
                  f"<= {REPORT_TARGET}x raw GROUP BY, same numbers", ratio <= REPORT_TARGET and out["equal"],
                  round(rss, 1), {"responses": size.report_n, **out})


def _export_once(url: str, campaign_id: int, mode: str, tag: str) -> tuple[float, float]:
    path = WORK / f"export-{tag}-{mode}.xlsx"
    out, rss = run_child(["export", url, str(campaign_id), mode, str(path)], env=app_env(url))
    path.unlink(missing_ok=True)
    return out["seconds"], rss


def run_exports(size, label: str, url: str, made: dict) -> list[Result]:
    reps = size.reps if size.export_ns[-1] <= 100_000 else 1
    per_n, results = {}, []
    for n in size.export_ns:
        cid = made["exports"][n]
        runs = [(_export_once(url, cid, "platform", f"{label}{n}"), _export_once(url, cid, "limit", f"{label}{n}"))
                for _ in range(reps)]
        plat, lim = median([p[0] for p, _ in runs]), median([q[0] for _, q in runs])
        per_n[n] = {"platform_s": round(plat, 3), "limit_s": round(lim, 3), "ratio": round(plat / lim, 3),
                    "platform_rss_mib": round(max(p[1] for p, _ in runs), 1),
                    "limit_rss_mib": round(max(q[1] for _, q in runs), 1)}
    rss = [v["platform_rss_mib"] for v in per_n.values()]
    flat = (max(rss) - min(rss)) / min(rss)
    within = all(v["platform_rss_mib"] - v["limit_rss_mib"] <= 100 for v in per_n.values())
    biggest = per_n[size.export_ns[-1]]
    met = all(v["ratio"] <= EXPORT_TARGET for v in per_n.values()) and flat <= RSS_FLAT and within
    results.append(Result(f"export_raw_{label}", size.name, biggest["platform_s"], biggest["limit_s"], "s",
                          biggest["ratio"], f"<= {EXPORT_TARGET}x bare XlsxWriter, RSS flat +-20%, <= +100 MiB",
                          met, max(rss), {"per_size": per_n, "rss_growth": round(flat, 3), "reps": reps}))
    results.append(_charts(size, label, url, made))
    return results


def _charts(size, label: str, url: str, made: dict) -> Result:
    cid = made["report"]
    runs = [(_export_once(url, cid, "charts", label), _export_once(url, cid, "nocharts", label))
            for _ in range(size.reps)]
    with_c, without = median([a[0] for a, _ in runs]), median([b[0] for _, b in runs])
    ratio = with_c / without
    return Result(f"export_charts_{label}", size.name, round(with_c, 3), round(without, 3), "s", round(ratio, 3),
                  f"charts add <= {CHART_TARGET}x", ratio <= CHART_TARGET, round(max(a[1] for a, _ in runs), 1),
                  {"workbook": "aggregates only (no raw sheet), with vs without native charts"})


def run_split(size, label: str, url: str, made: dict) -> Result:
    """Crosses Excel's 1,048,576-row limit: the raw sheet must continue on a second sheet, no row lost."""
    cid = made["split"]
    path = WORK / f"export-split-{label}.xlsx"
    out, rss = run_child(["export", url, str(cid), "platform", str(path)], env=app_env(url))
    sheets, _ = run_child(["sheets", str(path)], env=app_env(url))
    path.unlink(missing_ok=True)
    pairs = list(zip(sheets["sheets"], sheets["rows"], sheets["header_rows"]))
    base = next((name for name, rows, _ in pairs if rows > 100_000), "?")
    raw = [(name, rows, head) for name, rows, head in pairs if name == base or name.startswith(base[:26] + " ")]
    data_rows = sum(rows - head for _, rows, head in raw)  # each part repeats the note and the headers
    ok = len(raw) >= 2 and max(r for _, r, _ in raw) <= 1_048_576 and data_rows == size.split_n
    return Result(f"export_split_{label}", size.name, round(out["seconds"], 1), None, "s", None,
                  f"{size.split_n:,} rows split at 1,048,576, none lost", ok, round(rss, 1),
                  {"sheets": sheets, "data_rows": data_rows})
