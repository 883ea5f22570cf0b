"""Seeded bulk generation of synthetic responses (benchmarks, ``surveyapp demo --scale N``).

Answers are drawn column by column from the questionnaire itself, scored by
the real scoring rules, and written in batches with PostgreSQL ``COPY`` or one
``executemany`` per batch (SQLite): never the ORM one object at a time.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from sqlalchemy import func, insert, select

from . import get_registry
from .extensions import db
from .models import RESPONSE_SUBMITTED, AccessCode, OrgUnit, Response, random_id, today
from .questionnaire import Definition
from .questionnaire.schema import TEXT_TYPES
from .scoring import ScoringError, score
from .storage import definition_for

BATCH = 20_000
TEXTS = ["Em muốn có thêm sân chơi.", "Cần thêm ghế đá.", "Em thích trường."]


@dataclass
class BulkResult:
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _value_sampler(definition: Definition, item_id: str, rng: random.Random, lean: float):
    """A function k -> k random stored values for one item (skewed towards the top of scales)."""
    info = definition.items[item_id]
    kind = info.item.type
    if kind == "number":
        low, high = definition.value_range(item_id)
        low, high = max(low, 0), min(high, 50)
        return lambda k: [rng.randint(low, high) for _ in range(k)]
    values = [o.value for o in info.options]
    if kind == "multi_choice":
        bits = [1 << v for v in values]
        return lambda k: [sum(b for b in bits if rng.random() < 0.3) for _ in range(k)]
    weights, total = [], 0.0
    for i in range(len(values)):
        total += (1 + lean) ** i
        weights.append(total)
    return lambda k: rng.choices(values, cum_weights=weights, k=k)


def _targets(campaign) -> list[tuple[int, Optional[int], Optional[int]]]:
    """(school, class, grade) of every access code of the campaign: where responses come from."""
    rows = db.session.execute(select(AccessCode.school_id, AccessCode.class_group_id, AccessCode.grade)
                              .filter_by(campaign_id=campaign.id).order_by(AccessCode.id)).all()
    if not rows:
        raise ValueError(f"campaign {campaign.id} has no access codes")
    return [tuple(r) for r in rows]


def generate_rows(campaign, n: int, seed: int = 1, lean: float = 0.6,
                  batch: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    """Batches of complete, scored response rows (dicts of column values)."""
    rng = random.Random(seed)
    definition = definition_for(campaign.qversion)
    numeric = [(item_id, f"v{info.slot}") for item_id, info in definition.items.items()
               if info.item.type not in TEXT_TYPES]
    required_texts = [item_id for item_id, info in definition.items.items()
                      if info.item.type in TEXT_TYPES and info.item.required]
    samplers = {item_id: _value_sampler(definition, item_id, rng, lean) for item_id, _ in numeric}
    targets = _targets(campaign)
    facility = dict(db.session.execute(select(OrgUnit.id, OrgUnit.facility_type)).all())
    methods = get_registry().scoring_methods
    base = {"campaign_id": campaign.id, "qversion_id": campaign.qversion_id, "status": RESPONSE_SUBMITTED,
            "submitted_on": today(), "notes": {}}
    done = 0
    while done < n:
        k = min(batch, n - done)
        columns = {item_id: samplers[item_id](k) for item_id, _ in numeric}
        rows = []
        for i in range(k):
            answers = {item_id: columns[item_id][i] for item_id, _ in numeric}
            answers.update({item_id: rng.choice(TEXTS) for item_id in required_texts})
            school_id, class_id, grade = targets[rng.randrange(len(targets))]
            row = _scored_row(definition, answers, methods, {"facility_type": facility.get(school_id)})
            if row is None:
                continue
            row.update(base, id=random_id(), school_id=school_id, class_group_id=class_id, grade=grade)
            row.update({column: answers[item_id] for item_id, column in numeric})
            rows.append(row)
        done += k
        yield rows


def _scored_row(definition: Definition, answers: dict, methods, context: dict) -> Optional[dict[str, Any]]:
    """Visible answers only (as a real submission would store them), plus their scores."""
    visible = definition.visible_items(answers)
    answers_seen = {k: v for k, v in answers.items() if k in visible}
    try:
        result = score(definition, answers_seen, methods=methods, context=context)
    except ScoringError:
        return None
    texts = {k: v for k, v in answers_seen.items() if definition.items[k].item.type in TEXT_TYPES}
    for item_id in answers:
        if item_id not in visible:
            answers[item_id] = None
    return {"total": result.total, "band": result.band, "outcome": result.outcome, "risk": result.risk,
            "needs_review": result.needs_review, "texts": texts,
            "scores": {k: v.as_json() for k, v in result.subscales.items()}}


def generate(campaign, n: int, seed: int = 1, lean: float = 0.6, batch: int = BATCH,
             progress: Optional[Callable[[int], None]] = None) -> BulkResult:
    """Insert ``n`` synthetic submitted responses into ``campaign``; commit; return rows and time."""
    started = time.perf_counter()
    written = 0
    for rows in generate_rows(campaign, n, seed, lean, batch):
        write_rows(rows)
        written += len(rows)
        if progress:
            progress(written)
    db.session.commit()
    return BulkResult(written, time.perf_counter() - started)


def write_rows(rows: list[dict[str, Any]]) -> None:
    """One batch in the current transaction: COPY (PostgreSQL), executemany (SQLite), else Core insert."""
    if not rows:
        return
    columns = list(rows[0])
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        _copy_postgres(columns, rows)
    elif dialect == "sqlite":
        _executemany_sqlite(columns, rows)
    else:
        db.session.execute(insert(Response), rows)


def _dbapi_connection():
    return db.session.connection().connection.dbapi_connection


def _plain(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def _copy_postgres(columns: list[str], rows: list[dict[str, Any]]) -> None:
    sql = f"COPY response ({', '.join(columns)}) FROM STDIN"
    with _dbapi_connection().cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([_plain(row[c]) for c in columns])


def _executemany_sqlite(columns: list[str], rows: list[dict[str, Any]]) -> None:
    sql = f"INSERT INTO response ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    cursor = _dbapi_connection().cursor()
    try:
        cursor.executemany(sql, ([_plain(row[c]) for c in columns] for row in rows))
    finally:
        cursor.close()


def count(campaign_id: int) -> int:
    return db.session.execute(select(func.count(Response.id)).filter_by(campaign_id=campaign_id)).scalar() or 0
