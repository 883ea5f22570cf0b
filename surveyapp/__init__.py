"""surveyapp: a plugin-based survey and self-assessment platform for schools."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterable

from flask import Flask, has_request_context, request, session
from flask_babel import Babel
from flask_login import current_user

from .config import load_config
from .extensions import csrf, db, login_manager, migrate
from .registry import build_plugin_manager, build_registry

__version__ = "0.1.0"
CORE_TRANSLATIONS = Path(__file__).parent / "translations"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict | None = None, extra_plugins: Iterable[Any] = ()) -> Flask:
    """Build the app: config, plugins, questionnaires, extensions, blueprints."""
    app = Flask(__name__, instance_relative_config=True)
    from . import web_ints
    web_ints.init_app(app)  # before any blueprint builds its URL rules
    app.config.from_mapping(load_config(app.instance_path, test_config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("PROXY_HOPS"):  # trust X-Forwarded-For only from the configured proxies
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=app.config["PROXY_HOPS"])

    pm = build_plugin_manager(app.config["DISABLED_PLUGINS"], extra_plugins)
    app.extensions["surveyapp"] = registry = build_registry(pm)

    _init_babel(app, registry.hook)
    from .notify import models as _notify_tables  # noqa: F401  (the outbox tables)
    _init_database(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    from . import sessions
    sessions.init_app(app)
    from flask_babel import lazy_gettext
    login_manager.login_message = lazy_gettext("Please log in to access this page.")
    csrf.init_app(app)
    from . import numbers, privacy
    numbers.init_app(app)
    privacy.init_app(app)

    from . import views
    views.register(app)
    for blueprints in registry.hook.register_blueprints():
        for blueprint in blueprints or []:
            app.register_blueprint(blueprint)
    _quiet_client_addresses()
    registry.hook.startup(app=app)
    app.logger.debug("loaded modules: %s", ", ".join(registry.modules))
    return app


def _init_babel(app: Flask, hooks) -> None:
    """Every catalog is merged into one, later ones overriding earlier ones: the core's comes
    last so that no plugin can change the core's wording. A module's own catalog still wins
    for its own strings (its templates, ``module_translations``): see ``surveyapp.i18n``."""
    directories, domains = [], []
    for pairs in hooks.register_translations():
        for directory, domain in pairs or []:
            directories.append(str(directory))
            domains.append(domain)
    directories.append(str(CORE_TRANSLATIONS))
    domains.append("messages")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    app.config["BABEL_DOMAIN"] = ";".join(domains)
    Babel(app, locale_selector=select_locale)  # per app: see extensions.py
    from .i18n import install_module_gettext
    install_module_gettext(app, dict(zip(domains[:-1], directories[:-1])))


def select_locale() -> str:
    languages = ("vi", "en")
    if not has_request_context():  # the command line and workers speak the default language
        return "vi"
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return "vi"


def _init_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
        # A file database has no server connection to go stale: no ping per checkout.
        options["pool_pre_ping"] = False
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    app.extensions["surveyapp_migration_dirs"] = plugin_migration_dirs(app.extensions["surveyapp"].pm)
    if uri.startswith("sqlite"):
        from .storage import enable_sqlite_pragmas
        with app.app_context():
            enable_sqlite_pragmas(db.engine)


def plugin_migration_dirs(pm) -> list[str]:
    """Plugins keep their tables' migrations in ``<plugin package>/migrations/versions``,
    each in its own Alembic branch labelled with the module id."""
    dirs = []
    for _name, plugin in pm.list_name_plugin():
        module_file = getattr(plugin, "__file__", None)
        if module_file:
            versions = Path(module_file).parent / "migrations" / "versions"
            if versions.is_dir():
                dirs.append(str(versions))
        elif getattr(plugin, "migration_versions", None):   # a ModulePlugin
            dirs.append(plugin.migration_versions)
    return list(dict.fromkeys(dirs))


@migrate.configure
def _version_locations(config):
    from flask import current_app
    dirs = [str(MIGRATIONS_DIR / "versions"), *current_app.extensions.get("surveyapp_migration_dirs", [])]
    config.set_main_option("version_locations", " ".join(dirs))
    config.set_main_option("version_path_separator", "space")
    return config


def _quiet_client_addresses() -> None:
    """werkzeug's access log prints client addresses; students' must not be logged."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def get_registry(app: Flask | None = None):
    from flask import current_app
    return (app or current_app).extensions["surveyapp"]
