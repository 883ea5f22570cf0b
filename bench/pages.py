"""Student page weight: bytes of every page of every student survey, with everything it fetches."""
from __future__ import annotations

import gzip
import re

from .common import Result

BUDGET = 50_000  # bytes per page, HTML + CSS + anything else it loads
ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="([^"]+)"')


def _weight(client, url: str, cache: dict) -> dict:
    response = client.get(url)
    html = response.get_data()
    assets = [a for a in ASSET.findall(html.decode("utf-8", "replace")) if a.startswith("/")]
    total, total_gz = len(html), len(gzip.compress(html))
    for asset in assets:
        if asset not in cache:
            body = client.get(asset).get_data()
            cache[asset] = (len(body), len(gzip.compress(body)))
        total += cache[asset][0]
        total_gz += cache[asset][1]
    return {"url": url, "status": response.status_code, "html": len(html), "assets": assets,
            "bytes": total, "gzip": total_gz}


def _csrf(html: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def survey_pages(app, campaign, code: str, rng) -> list[dict]:
    """Walk one survey: entry, start, every section page (draft filled with valid answers), and the
    neutral page after sending (``/s/done``; the per-code ``/s/<code>/done`` only redirects there)."""
    from surveyapp.campaigns import definition_of
    from surveyapp.demo import random_answers
    from surveyapp.extensions import db
    from surveyapp.models import RespondentDraft
    client, cache = app.test_client(), {}
    pages = [_weight(client, "/s", cache), _weight(client, f"/s/{code}", cache)]
    start = client.get(f"/s/{code}").get_data(as_text=True)
    client.post(f"/s/{code}", data={"csrf_token": _csrf(start)})
    with app.app_context():
        definition = definition_of(db.session.merge(campaign))
        answers = random_answers(definition, rng)
        from surveyapp.models import AccessCode
        drafts = db.session.execute(db.select(RespondentDraft).join(AccessCode)
                                    .where(AccessCode.code == code)).scalars()
        for row in drafts:
            row.answers = answers
        db.session.commit()
        count = len(definition.visible_sections(answers))
    pages += [_weight(client, f"/s/{code}/p/{n}", cache) for n in range(1, count + 1)]
    pages.append(_weight(client, "/s/done", cache))
    return pages


def run_pages(size, url: str) -> Result:
    import random

    from sqlalchemy import select

    from surveyapp import get_registry
    from surveyapp.extensions import db
    from surveyapp.models import AccessCode

    from .common import make_app
    from .dataset import build_city, open_campaign
    app = make_app(url)
    rng = random.Random(5)
    per_survey = {}
    with app.app_context():
        dept = build_city(4, 1)
        targets = []
        for qid, definition in get_registry().questionnaires.items():
            if definition.model.withheld is None and definition.model.respondent == "student":
                campaign = open_campaign(dept, qid, name=f"pages {qid}")
                code = db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id)).scalars().first()
                targets.append((qid, campaign, code))
    for qid, campaign, code in targets:
        pages = survey_pages(app, campaign, code, rng)
        bad = [p["url"] for p in pages if p["status"] != 200]
        per_survey[qid] = {"pages": len(pages), "max_bytes": max(p["bytes"] for p in pages),
                           "max_gzip": max(p["gzip"] for p in pages), "not_200": bad}
    heaviest = max(per_survey.values(), key=lambda s: s["max_bytes"])["max_bytes"]
    ok = all(not s["not_200"] for s in per_survey.values())
    return Result("student_page_weight", size.name, heaviest, BUDGET, "bytes (heaviest page)",
                  round(heaviest / BUDGET, 3), "every page <= 50,000 bytes", heaviest <= BUDGET and ok, None,
                  {"surveys": per_survey})
