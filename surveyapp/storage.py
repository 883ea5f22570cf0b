"""Database helpers: SQLite settings, questionnaire versions, response rows."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import event, func, select

from .extensions import db
from .models import RESPONSE_SUBMITTED, QuestionnaireVersion, Response
from .questionnaire import Definition, load_data
from .questionnaire.schema import TEXT_TYPES
from .scoring import ScoreResult


def enable_sqlite_pragmas(engine) -> None:
    """WAL lets readers work during writes; the busy timeout makes writers wait, not fail;
    secure_delete zeroes deleted rows (anonymity: see surveyapp/traces.py)."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted drafts and marks are overwritten, not left in free pages
        cursor.close()


# -- questionnaire versions ---------------------------------------------------------

def ensure_version(definition: Definition) -> QuestionnaireVersion:
    """Return the stored version with this content, creating the next one if the file changed.

    Rows are never updated, so a version that has responses can never change."""
    existing = db.session.execute(
        select(QuestionnaireVersion).filter_by(qid=definition.id, content_hash=definition.hash)
    ).scalar_one_or_none()
    if existing:
        return existing
    last = db.session.execute(
        select(func.max(QuestionnaireVersion.seq)).filter_by(qid=definition.id)).scalar() or 0
    version = QuestionnaireVersion(qid=definition.id, module=definition.module, seq=last + 1,
                                   label=definition.version, content_hash=definition.hash,
                                   definition=definition.raw)
    db.session.add(version)
    db.session.flush()
    return version


def latest_version(qid: str) -> QuestionnaireVersion | None:
    return db.session.execute(
        select(QuestionnaireVersion).filter_by(qid=qid).order_by(QuestionnaireVersion.seq.desc()).limit(1)
    ).scalar_one_or_none()


def sync_questionnaires(registry) -> list[QuestionnaireVersion]:
    """Store every registered questionnaire's current content (new version if changed)."""
    versions = [ensure_version(d) for d in registry.questionnaires.values() if d.model.withheld is None]
    db.session.commit()
    return versions


@lru_cache(maxsize=256)
def _definition_cached(version_id: int, content_hash: str, qid: str) -> Definition:
    version = db.session.get(QuestionnaireVersion, version_id)
    return load_data(version.definition, f"{qid} (stored version {version_id})")


def definition_for(version: QuestionnaireVersion) -> Definition:
    """The definition a campaign was created with, from the database, not the current file."""
    return _definition_cached(version.id, version.content_hash, version.qid)


# -- responses ------------------------------------------------------------------------

def response_values(definition: Definition, answers: dict[str, Any]) -> dict[str, Any]:
    """Column values for a response row: slots for numbers, JSON for text."""
    values: dict[str, Any] = {f"v{info.slot}": None for info in definition.items.values() if info.slot}
    texts: dict[str, str] = {}
    for item_id, value in answers.items():
        info = definition.items[item_id]
        if info.item.type in TEXT_TYPES:
            texts[item_id] = value
        else:
            values[f"v{info.slot}"] = value
    values["texts"] = texts
    return values


def result_values(result: ScoreResult) -> dict[str, Any]:
    return {
        "total": result.total, "band": result.band, "outcome": result.outcome,
        "risk": result.risk, "needs_review": result.needs_review,
        "scores": {k: v.as_json() for k, v in result.subscales.items()},
    }


def answers_of(definition: Definition, response: Response) -> dict[str, Any]:
    """Rebuild item id -> stored value from a response row."""
    answers: dict[str, Any] = {}
    for item_id, info in definition.items.items():
        value = (response.texts or {}).get(item_id) if info.slot is None else getattr(response, f"v{info.slot}")
        if value is not None and value != "":
            answers[item_id] = value
    return answers


def count_submitted(campaign_id: int) -> int:
    return db.session.execute(
        select(func.count(Response.id)).filter_by(campaign_id=campaign_id, status=RESPONSE_SUBMITTED)
    ).scalar() or 0


# -- versions stored without a file (e.g. imported by a module's command) -----------------

def newer_stored_versions(registry) -> list[QuestionnaireVersion]:
    """Stored versions newer than the registered file's version of the same questionnaire.

    A module may store a new version of one of its questionnaires from other data
    (an imported annex); campaigns can be created on it like on the file's."""
    newer = []
    for definition in registry.questionnaires.values():
        if definition.model.withheld is not None:
            continue
        current = db.session.execute(select(QuestionnaireVersion.seq).filter_by(
            qid=definition.id, content_hash=definition.hash)).scalar()
        newer += db.session.execute(select(QuestionnaireVersion).where(
            QuestionnaireVersion.qid == definition.id, QuestionnaireVersion.seq > (current or 0))
            .order_by(QuestionnaireVersion.seq)).scalars().all()
    return newer


def version_choice(version: QuestionnaireVersion) -> str:
    """The form value naming one stored version: ``<qid>@<seq>``."""
    return f"{version.qid}@{version.seq}"


def chosen_definition(registry, choice: str) -> Definition:
    """A questionnaire id (the file's definition) or ``<qid>@<seq>`` (a stored version). KeyError if unknown."""
    if "@" not in choice:
        return registry.questionnaires[choice]
    qid, _, seq = choice.partition("@")
    version = db.session.execute(select(QuestionnaireVersion).filter_by(
        qid=qid, seq=int(seq) if seq.isdigit() else -1)).scalar_one_or_none()
    if version is None or qid not in registry.questionnaires:
        raise KeyError(choice)
    return definition_for(version)
