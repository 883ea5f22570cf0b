"""gunicorn entry points: ``bench.wsgi:platform()`` (the real app plus the bench plugin)
and ``bench.wsgi:hello`` (a bare Flask endpoint: the physical limit of the HTTP stack)."""
from __future__ import annotations

from flask import Flask


def platform():
    from surveyapp import create_app

    from . import plugin
    return create_app(extra_plugins=[plugin])


hello = Flask("hello")


@hello.route("/", defaults={"path": ""}, methods=["GET", "POST"])
@hello.route("/<path:path>", methods=["GET", "POST"])
def _hello(path):
    return "hello"
