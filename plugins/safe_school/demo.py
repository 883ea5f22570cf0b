"""Demo content: a few schools with drafts, submitted, returned and recognised assessments, both sets."""
from __future__ import annotations

import datetime as dt

from surveyapp import get_registry
from surveyapp.campaigns import create_campaign, set_status
from surveyapp.models import RESPONSE_DRAFT
from surveyapp.questionnaire.schema import CRITERION_MET, CRITERION_NA, CRITERION_NOT_MET, TEXT_TYPES

from . import assessment as flow
from .sets import applies


def load(department, schools, campaigns, rng) -> None:
    tt18 = next((c for c in campaigns if c.module == "safe_school"), None)
    if tt18 is not None:
        _tt18(tt18, schools, rng)
    definition = get_registry().questionnaires.get("safe_school.tt45_2021")
    if definition is not None:
        campaign = create_campaign(name="Trường học an toàn (mầm non) — năm học 2025-2026", definition=definition,
                                   owner=department, scope=[department], user_id=None)
        set_status(campaign, "open")
        _tt45(campaign, schools, rng)


def _tt18(campaign, schools, rng) -> None:
    eligible = [s for s in schools if applies(campaign, s)][:8]
    for index, school in enumerate(eligible):
        found = flow.start(campaign, school, None)   # wraps the core demo's submitted response
        if school.code == "P01-THCS" or index == 1:
            _reopen(found, rng)
        elif index in (2, 3) and found.result == "dat":
            flow.decide(found, "recognise", None, "Hồ sơ đầy đủ, minh chứng rõ ràng.")
        elif index in (2, 3):
            flow.decide(found, "refuse", None, "Còn tiêu chí bắt buộc chưa đạt.")
        elif index == 4:
            first = next(i for i, info in flow.definition_of(found).items.items() if info.item.type == "criterion")
            flow.decide(found, "return", None, "Bổ sung minh chứng.", {first: "Thiếu biên bản kiểm tra."})


def _reopen(found, rng) -> None:
    """Turn a submitted demo response back into a half-filled draft."""
    definition = flow.definition_of(found)
    response = found.response
    for info in list(definition.items.values())[len(definition.items) // 2:]:
        if info.slot:
            setattr(response, f"v{info.slot}", None)
    response.status, response.outcome = RESPONSE_DRAFT, None
    found.status, found.result = "draft", None
    _plans(found, definition)


def _tt45(campaign, schools, rng) -> None:
    preschools = [s for s in schools if applies(campaign, s)][:4]
    for index, school in enumerate(preschools):
        found = flow.start(campaign, school, None)
        _answer(found, rng, half=index == 0)
        if index > 0:
            flow.submit(found, None)
        if index == 2:
            flow.decide(found, "recognise", None, "")


def _answer(found, rng, half: bool) -> None:
    definition = flow.definition_of(found)
    response = found.response
    items = list(definition.items.values())
    for info in items[: len(items) // 2] if half else items:
        item = info.item
        if item.type in TEXT_TYPES or not info.slot:
            continue
        if item.type == "yes_no":
            value = 0
        elif item.allow_na and rng.random() < 0.1:
            value = CRITERION_NA
        else:
            value = CRITERION_NOT_MET if rng.random() < 0.08 else CRITERION_MET
        setattr(response, f"v{info.slot}", value)
    _plans(found, definition)


def _plans(found, definition) -> None:
    response = found.response
    plans = {}
    for item_id, info in definition.items.items():
        if info.slot and info.item.type == "criterion" and getattr(response, f"v{info.slot}") == CRITERION_NOT_MET:
            plans[item_id] = {"action": "Sửa chữa, bổ sung theo kết quả rà soát", "owner": "Phó hiệu trưởng",
                              "due": (dt.date.today() + dt.timedelta(days=90)).isoformat()}
    response.notes = {"comments": {}, "plans": plans}
