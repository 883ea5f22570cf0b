"""Configuration from the environment (``SURVEYAPP_*``)."""
from __future__ import annotations

import os
from pathlib import Path


class ConfigError(RuntimeError):
    pass


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"SURVEYAPP_{name}", default)


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config; overrides (tests) win over the environment."""
    overrides = overrides or {}
    env = overrides.get("ENV") or _env("ENV", "development")
    instance = Path(instance_path)
    database_url = _env("DATABASE_URL") or f"sqlite:///{instance / 'surveyapp.sqlite'}"
    config = {
        "ENV": env,
        "SECRET_KEY": _env("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ["vi", "en"],
        "DISABLED_PLUGINS": [p for p in (_env("DISABLED_PLUGINS") or "").split(",") if p],
        "MIN_GROUP_SIZE": int(_env("MIN_GROUP_SIZE", "5")),
        "MIN_GROUP_SIZE_TEXT": int(_env("MIN_GROUP_SIZE_TEXT", "10")),
        "UPLOAD_FOLDER": _env("UPLOAD_FOLDER") or str(instance / "uploads"),
        "EXPORT_FOLDER": _env("EXPORT_FOLDER") or str(instance / "exports"),
        "MAX_CONTENT_LENGTH": int(_env("MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": (_env("SECURE_COOKIES", "0") == "1"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": (_env("SECURE_COOKIES", "0") == "1"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
        "PROXY_HOPS": int(_env("PROXY_HOPS", "0")),
        "WTF_CSRF_TIME_LIMIT": None,
        # Counsellors, auditors and department admins must enrol a TOTP app (surveyapp.signin).
        "TWO_FACTOR_REQUIRED": _env("TWO_FACTOR_REQUIRED", "1") == "1",
        # Remember-me cookies last at most this many days; case-record roles time out when idle.
        "REMEMBER_DAYS": int(_env("REMEMBER_DAYS", "30")),
        "IDLE_MINUTES": int(_env("IDLE_MINUTES", "15")),
        # Where "Leave quickly" on the thank-you and help pages goes: an ordinary site.
        "LEAVE_URL": _env("LEAVE_URL", "https://www.google.com/"),
        # Build exports in a thread of the web process (one server), or leave them queued
        # for `surveyapp export-worker` (several app servers; see README "Deployment").
        "EXPORT_IN_THREAD": _env("EXPORT_IN_THREAD", "1") == "1",
        # Địa danh on the date line of official reports (e.g. "Hải Phòng"); left to fill when empty.
        "REPORT_PLACE": _env("REPORT_PLACE", ""),
        # Outgoing mail (surveyapp.mail); with no SMTP host, messages go to .eml files in MAIL_FOLDER.
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": _env("SMTP_PORT"),
        "SMTP_USER": _env("SMTP_USER"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_TLS": _env("SMTP_TLS", "starttls"),
        "MAIL_FROM": _env("MAIL_FROM", "surveyapp@localhost"),
        "MAIL_FOLDER": _env("MAIL_FOLDER") or str(instance / "mail"),
        # Notifications (surveyapp.notify): the address links in mail start with; the dev server's
        # worker thread; escalation after this many working hours within WORKING_HOURS.
        "BASE_URL": _env("BASE_URL"),
        "NOTIFY_IN_THREAD": _env("NOTIFY_IN_THREAD", "1") == "1",
        "NOTIFY_POLL_SECONDS": float(_env("NOTIFY_POLL_SECONDS", "5")),
        "NOTIFY_LEASE_SECONDS": float(_env("NOTIFY_LEASE_SECONDS", "300")),
        "NOTIFY_RETRY_SECONDS": float(_env("NOTIFY_RETRY_SECONDS", "30")),
        "NOTIFY_MAX_ATTEMPTS": int(_env("NOTIFY_MAX_ATTEMPTS", "8")),
        "NOTIFY_ESCALATE_HOURS": float(_env("NOTIFY_ESCALATE_HOURS", "4")),
        "NOTIFY_DAILY_HOUR": int(_env("NOTIFY_DAILY_HOUR", "7")),
        "NOTIFY_LOW_PARTICIPATION_DAYS": int(_env("NOTIFY_LOW_PARTICIPATION_DAYS", "3")),
        "NOTIFY_LOW_PARTICIPATION_RATE": float(_env("NOTIFY_LOW_PARTICIPATION_RATE", "0.5")),
        "WORKING_HOURS": _env("WORKING_HOURS", "07:00-17:00"),
    }
    config.update(overrides)
    if config["ENV"] not in ("development", "testing") and not config["SECRET_KEY"]:
        raise ConfigError("SURVEYAPP_SECRET_KEY must be set outside development and testing")
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _dev_secret(instance)
    return config


def _dev_secret(instance: Path) -> str:
    """A per-installation random key for development, kept in the instance folder."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "dev-secret-key"
    if not path.exists():
        path.write_text(os.urandom(32).hex())
    return path.read_text().strip()
