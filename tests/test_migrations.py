"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from conftest import make_app
from surveyapp.extensions import db


def test_models_and_migrations_agree(tmp_path, postgres_url):
    app = make_app(tmp_path, postgres_url)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert "response" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert "response" not in inspect(db.engine).get_table_names()


def test_the_anonymity_migration_keeps_data_and_moves_staff_authorship(tmp_path, postgres_url):
    """Response rows written before: staff authors move to staff_authorship, evidence stays."""
    from sqlalchemy import text
    app = make_app(tmp_path, postgres_url)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        for revision in ("0001_core", "mental_health_0001", "safe_school_0001", "school_dialogue_0001"):
            upgrade(revision=revision)
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO org_unit (id, kind, code, name, levels, path, depth, contact, active) "
                              "VALUES (1, 'school', 'A', 'A', '', '/1/', 0, '{}', true)"))
            conn.execute(text("INSERT INTO user_account (id, username, password_hash, full_name, active, created_at)"
                              " VALUES (7, 'head', 'x', '', true, '2026-01-01')"))
            conn.execute(text("INSERT INTO questionnaire_version (id, qid, module, seq, label, content_hash, "
                              "definition, created_at) VALUES (1, 'm.q', 'm', 1, '1', 'h', '{}', '2026-01-01')"))
            conn.execute(text("INSERT INTO campaign (id, module, name, qversion_id, owner_org_id, status, grades, "
                              "settings, created_at) VALUES (1, 'm', 'c', 1, 1, 'open', '', '{}', '2026-01-01')"))
            for rid, user in ((1, 7), (2, None)):
                conn.execute(text("INSERT INTO response (id, campaign_id, qversion_id, school_id, status, user_id, "
                                  "risk, needs_review, scores, texts, notes) VALUES (:id, 1, 1, 1, 1, :user, false, "
                                  "false, '{}', '{}', '{}')"), {"id": rid, "user": user})
            conn.execute(text("INSERT INTO attachment (id, response_id, item_id, kind, created_at) "
                              "VALUES (1, 1, 'x', 'link', '2026-01-01')"))
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT response_id, user_id FROM staff_authorship")).all() == [(1, 7)]
            assert conn.execute(text("SELECT response_id FROM attachment")).all() == [(1,)]
            assert sorted(conn.execute(text("SELECT id FROM response")).scalars()) == [1, 2]
        columns = {c["name"] for c in inspect(db.engine).get_columns("response")}
        assert not {"user_id", "submission_key"} & columns
        downgrade(revision="base")
