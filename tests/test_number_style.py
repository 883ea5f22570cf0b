"""One number style per locale on every dashboard page, modules' sections included: no 3,71 next to
3.86 (vi writes 3,86; en 3.86), percents as Babel's locale data says (vi 80,6%, en 80.6%), no "-0"."""
from __future__ import annotations

import html
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from conftest import login
from surveyapp.demo import DEMO_PASSWORD, load_demo
from surveyapp.extensions import db
from surveyapp.models import Campaign, OrgUnit
from surveyapp.numbers import fmt_int, fmt_number, fmt_percent, fmt_signed

# a decimal point/comma followed by 1, 2 or 4+ digits is a decimal mark, never a thousands separator
# (a version such as 0.1-draft is no figure)
WRONG = {"vi": [re.compile(r"(?<![\w.,])\d+\.(\d{1,2}|\d{4,})(?![\d.,-])"),   # 3.86: an English decimal
                re.compile(r"\d %")],                                           # 80 %: not vi's 80%
         "en": [re.compile(r"(?<![\w.,])\d+,(\d{1,2}|\d{4,})(?![\d.,-])"),    # 3,71: a Vietnamese decimal
                re.compile(r"\d %")]}
NEGATIVE_ZERO = re.compile(r"[-−]0(?:[.,]0+)?(?![\d.,])")
FIGURES = re.compile(r'<(td|dd|text|title|p)\b([^>]*)>(.*?)</\1>', re.S)
CODES = re.compile(r'<(strong|span)\b[^>]*class="code"[^>]*>(.*?)</\1>', re.S)


def figure_texts(page: str) -> list[str]:
    """The text of the elements that hold figures: cells, definitions, chart values and tooltips, less
    the names in them (item codes such as 1.1 and chart categories: elements of class "code"/"label")."""
    found = [(attributes, html.unescape(re.sub(r"<[^>]+>", " ", inner)).strip())
             for _tag, attributes, inner in FIGURES.findall(page)]
    names = {text for attributes, text in found if re.search(r'class="(code|label)"', attributes)}
    names |= {html.unescape(code).strip() for _tag, code in CODES.findall(page)}
    names = sorted(names, key=len, reverse=True)
    texts = []
    for attributes, text in found:
        if re.search(r'class="(code|label)"', attributes):
            continue
        for name in names:
            text = text.replace(name, " ")
        texts.append(text)
    return texts


def test_the_formatter_follows_the_locale(ctx):
    with force_locale("vi"):
        assert (fmt_number(3.714), fmt_percent(0.806), fmt_int(12345)) == ("3,71", "80,6%", "12.345")
        assert fmt_signed(-0.001) == "0,00" and fmt_number(-0.001) == "0,00" and fmt_signed(0.25) == "+0,25"
        assert fmt_percent(-0.0001) == "0,0%"
    with force_locale("en"):
        assert (fmt_number(3.714), fmt_percent(0.806), fmt_int(12345)) == ("3.71", "80.6%", "12,345")
        assert fmt_signed(-0.004) == "0.00" and fmt_signed(-0.25) == "-0.25"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_dashboard_page_writes_numbers_one_way(ctx, client, lang):
    load_demo(responses_per_class=2)
    login(client, "viewer", DEMO_PASSWORD)
    client.get(f"/lang/{lang}?next=/")
    orgs = [db.session.execute(select(OrgUnit).filter_by(code=code)).scalar_one()
            for code in ("SGD", "P01", "P01-THCS", "SGD-THPT01")]
    pages = []
    for campaign in db.session.execute(select(Campaign).order_by(Campaign.id)).scalars():
        for org in orgs:
            for level in ("", "thcs"):
                pages.append(f"/reports/campaign/{campaign.id}?org={org.id}&level={level}")
        if campaign.module == "school_dialogue":
            pages += [f"/school_dialogue/report/{campaign.id}/{org.id}" for org in orgs]
        if campaign.module == "mental_health":
            pages.append(f"/mental-health/campaign/{campaign.id}/report")
        if campaign.module == "safe_school":
            pages.append(f"/safe_school/overview/{campaign.id}")
    decimals = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        for text in figure_texts(response.get_data(as_text=True)):
            for wrong in WRONG[lang]:
                assert not wrong.search(text), (lang, url, text.strip()[:200])
            assert not NEGATIVE_ZERO.search(text), (lang, url, text.strip()[:200])
            decimals += len(re.findall(r"\d[.,]\d\d(?!\d)", text))
    assert decimals > 50   # the pages did show decimal figures
