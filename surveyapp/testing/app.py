"""A test app on a fresh database: a SQLite file in a folder, or PostgreSQL when configured.

With ``SURVEYAPP_TEST_POSTGRES=1`` and ``SURVEYAPP_DATABASE_URL`` set, every pytest-xdist worker
gets its own PostgreSQL database (``<name>_<worker>``) and every app starts from empty tables.
"""
from __future__ import annotations

import contextvars
import os
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

USE_POSTGRES_VARIABLE = "SURVEYAPP_TEST_POSTGRES"


def use_postgres() -> bool:
    return os.environ.get(USE_POSTGRES_VARIABLE) == "1"


def postgres_url_for(worker: str) -> str:
    """The worker's own database on the server of ``SURVEYAPP_DATABASE_URL``, created when missing."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    base = make_url(os.environ["SURVEYAPP_DATABASE_URL"])
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: the test's own app context
    (for database setup and checks) must not share ``g`` or the session with requests."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def make_app(folder: Path, postgres_url: str | None = None, **overrides: Any):
    """An app whose files live in ``folder``, on empty tables, with every installed module's
    questionnaires stored. ``extra_plugins`` registers plugin objects beside the installed ones."""
    from surveyapp import create_app, get_registry
    from surveyapp.extensions import db
    from surveyapp.storage import sync_questionnaires
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    url = postgres_url or f"sqlite:///{folder / 'test.sqlite'}"
    config = {"ENV": "testing", "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
              "UPLOAD_FOLDER": str(folder / "uploads"), "EXPORT_FOLDER": str(folder / "exports"),
              "MAIL_FOLDER": str(folder / "mail"),
              "SERVER_NAME": "surveyapp.test",
              "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes in tests only
              # Tests sign in as counsellors and department admins with a password only;
              # the project's sign-in tests turn the requirement on.
              "TWO_FACTOR_REQUIRED": False}
    extra_plugins = overrides.pop("extra_plugins", ())
    config.update(overrides)
    app = create_app(config, extra_plugins=extra_plugins)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if postgres_url:
            db.drop_all()
        db.create_all()
        sync_questionnaires(get_registry(app))
    return app


def close_app(app) -> None:
    """Give the app's database connections back (PostgreSQL drops tables only when none is open)."""
    from surveyapp.extensions import db
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
