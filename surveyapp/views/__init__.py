"""Core blueprints and app-wide request hooks."""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from ..access import has_role
from ..labels import level_label, module_installed, module_label, status_label  # status_label: views too


def register(app: Flask) -> None:
    from . import account, admin, auth, campaigns, exports, main, notify, reports, respond
    for module in (auth, account, main, admin, campaigns, respond, reports, exports, notify):
        app.register_blueprint(module.bp)
    app.after_request(_security_headers)
    from ..traces import checkpoint_after_anonymous_write
    app.after_request(checkpoint_after_anonymous_write)
    app.context_processor(_template_globals)
    for code in (400, 403, 404, 413, 429, 500):
        app.register_error_handler(code, _error_page)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    # Pages may hold a student's answers or a signed-in view: shared school computers
    # must not replay them from the cache. Only static files are cacheable.
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _template_globals() -> dict:
    from .. import get_registry
    registry = get_registry()
    nav = []
    if current_user.is_authenticated:
        for items in registry.hook.navigation_items(user=current_user):
            nav.extend(items or [])
        nav.sort(key=lambda item: item.order)
    return {"registry": registry, "locale": str(get_locale()), "plugin_nav": nav, "has_role": has_role,
            "status_label": status_label, "level_label": level_label, "module_label": module_label,
            "module_installed": module_installed}


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    return render_template("error.html", code=code, description=getattr(error, "description", "")), code
