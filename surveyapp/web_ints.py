"""Integers from URLs, query strings and forms stay within what the database stores.

One place for every view: the ``int`` URL converter matches at most a 32-bit id and the
``key`` converter, for the random 63-bit keys of responses, cases and alerts, at most a
64-bit one (a longer one is a 404), and ``request.args/form.get(name, type=int)`` answers 400 for a
number out of range instead of letting the database fail with a 500.
"""
from __future__ import annotations

from flask import Flask, abort
from flask.wrappers import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # INTEGER on PostgreSQL; SQLAlchemy casts a larger parameter to it and fails
MAX_KEY = 2**63 - 1  # BIGINT: the random keys (models.random_id)


class BoundedIntegerConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class KeyConverter(BoundedIntegerConverter):
    """``<key:case_id>``: an id of a table with random 63-bit keys."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_KEY)
        super().__init__(map, *args, **kwargs)


class BoundedMultiDict(ImmutableMultiDict):
    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID:
            abort(400)
        return value


class BoundedRequest(Request):
    parameter_storage_class = BoundedMultiDict


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.url_map.converters["key"] = KeyConverter
    app.request_class = BoundedRequest
