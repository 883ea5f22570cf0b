"""What a notification may say: registered kinds of fixed wording and typed, safe parameters.

This is the one place notifications are composed. A kind's subject and body are
fixed translated strings; the only values filled in are a unit's or campaign's
name (looked up here from an id), a date, a count and a link to the sign-in page.
A student's name, answer, message or score has no parameter to travel in.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale, format_date, lazy_gettext as _l

from ..extensions import db
from ..models import Campaign, OrgUnit

LINK = re.compile(r"^/[A-Za-z0-9/_-]{0,199}$")  # a local path: no query, no host, no free text


class UnsafeParameter(ValueError):
    """A parameter the content rule does not allow (unknown name or wrong type)."""


@dataclass(frozen=True)
class NotificationKind:
    """``subject`` and ``body`` are (lazy) translated strings with ``%(school)s``, ``%(campaign)s``,
    ``%(due)s``, ``%(count)s`` and ``%(link)s`` placeholders. Urgent kinds go out at once whatever
    the user's preference and cannot be switched off."""

    id: str
    subject: Any
    body: Any
    urgent: bool = False
    label: Any = None  # shown on the preferences page; the subject when empty


def _unit_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnsafeParameter("a unit is passed by id")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnsafeParameter("count must be an integer")
    return value


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime) or not isinstance(value, (dt.date, str)):
        raise UnsafeParameter("due must be a date")
    try:
        return (value if isinstance(value, dt.date) else dt.date.fromisoformat(value)).isoformat()
    except ValueError:
        raise UnsafeParameter("due must be a date") from None


def _link(value: Any) -> str:
    if not isinstance(value, str) or not LINK.match(value):
        raise UnsafeParameter("link must be a plain local path")
    return value


def _ids(value: Any) -> list[int]:
    if not isinstance(value, list):
        raise UnsafeParameter("items must be a list of ids")
    return [_count(item) for item in value]


SAFE_PARAMS = {"school": _unit_id, "unit": _unit_id, "campaign": _unit_id, "due": _date, "count": _count,
               "link": _link, "items": _ids}


def clean_params(params: dict | None) -> dict:
    """The stored form of ``params``; anything the content rule does not allow is refused."""
    clean = {}
    for name, value in (params or {}).items():
        if name not in SAFE_PARAMS:
            raise UnsafeParameter(f"'{name}' is not a notification parameter ({', '.join(SAFE_PARAMS)})")
        clean[name] = SAFE_PARAMS[name](value)
    return clean


# -- the core's own kinds ---------------------------------------------------------------------

ESCALATION = NotificationKind(
    "notify.escalation", urgent=True,
    subject=_l("Urgent, not yet handled: %(school)s"),
    body=_l("An urgent matter at %(school)s has not been acknowledged by the school within the expected "
            "time. You are its safeguarding contact. For confidentiality this message gives no details; "
            "please sign in to see it:\n%(link)s"),
    label=_l("Escalation of an urgent matter nobody acknowledged"))
DIGEST = NotificationKind(
    "notify.digest", subject=_l("Your daily summary: %(count)s notifications"),
    body=_l("You have %(count)s notifications since the last summary:"),
    label=_l("Daily summary"))
EXPORT_DONE = NotificationKind(
    "export.done", subject=_l("Your export is ready"),
    body=_l("The export you asked for is ready. Please sign in to download it:\n%(link)s"),
    label=_l("An export you asked for is ready"))
LOW_PARTICIPATION = NotificationKind(
    "campaign.low_participation", subject=_l("Low participation at %(school)s"),
    body=_l("%(count)s open surveys at %(school)s have low participation and close on or before %(due)s. "
            "Please sign in to see which classes have yet to answer:\n%(link)s"),
    label=_l("Open surveys with low participation before they close"))
CORE_KINDS = (ESCALATION, DIGEST, EXPORT_DONE, LOW_PARTICIPATION)


def registered_kinds() -> dict[str, NotificationKind]:
    from .catalog import by_id
    return by_id("surveyapp_notify_kinds", CORE_KINDS, "register_notification_kinds", "kind")


def kind_for(kind_id: str) -> NotificationKind:
    try:
        return registered_kinds()[kind_id]
    except KeyError:
        raise ValueError(f"unknown notification kind '{kind_id}'") from None


# -- composing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Composed:
    subject: str
    body: str


def sign_in_link(path: str | None) -> str:
    """The sign-in page, going on to ``path`` once signed in."""
    base = current_app.config.get("BASE_URL")
    query = {"next": path} if path else {}
    if base:
        return base.rstrip("/") + url_for("auth.login", **query)
    return url_for("auth.login", _external=True, **query)


def _values(params: dict) -> dict[str, str]:
    values = {"school": "", "unit": "", "campaign": "", "due": "", "count": "0", "link": sign_in_link(None)}
    for name in ("school", "unit"):
        if name in params:
            unit = db.session.get(OrgUnit, params[name])
            values[name] = unit.name if unit else "?"
    if "campaign" in params:
        campaign = db.session.get(Campaign, params["campaign"])
        values["campaign"] = campaign.name if campaign else "?"
    if "due" in params:
        values["due"] = format_date(dt.date.fromisoformat(params["due"]), "medium", rebase=False)
    if "count" in params:
        values["count"] = str(params["count"])
    if "link" in params:
        values["link"] = sign_in_link(params["link"])
    return values


def compose(kind_id: str, params: dict, locale: str, lines: list[str] = ()) -> Composed:
    """Subject and body of one notification in ``locale`` ('vi' unless the user chose 'en')."""
    kind = kind_for(kind_id)
    params = clean_params(params)  # stored rows are checked again: a row edited in the table gains nothing
    locale = locale if locale in ("vi", "en") else "vi"
    with force_locale(locale):
        values = _values(params)
        subject = str(kind.subject) % values
        body = str(kind.body) % values
        if lines:
            body += "\n" + "\n".join(f"- {line}" for line in lines) + "\n\n" + sign_in_link(None)
        footer = str(_l("This message was sent automatically by the school survey system; "
                        "please do not reply to it."))
    return Composed(subject=" ".join(subject.split()), body=f"{body}\n\n--\n{footer}\n")
