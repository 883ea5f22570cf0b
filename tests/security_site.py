"""A site for the security tests: school A owns everything, strangers sit in school B.

Every name of school A's objects carries ``MARK``, so a page that leaks any of
them to a stranger is caught by a plain substring search.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from conftest import PASSWORD, World
from surveyapp import get_registry
from surveyapp.accounts import create_user
from surveyapp.campaigns import create_campaign, set_status
from surveyapp.demo import _synthetic_responses
from surveyapp.extensions import db
from surveyapp.models import AccessCode, Campaign, ExportJob
from surveyapp.notify import Notification

MARK = "AlphaBiMat"
STRANGER_ROLES = ("admin", "counsellor", "viewer", "auditor")


@dataclass
class Site:
    world: World
    campaigns: list[Campaign] = field(default_factory=list)
    job: ExportJob | None = None
    mail: str = ""  # a message in the mail sink about school A
    strangers: dict[str, str] = field(default_factory=dict)   # role -> username at school B

    @property
    def codes(self) -> list[str]:
        ids = [c.id for c in self.campaigns]
        return list(db.session.execute(select(AccessCode.code).where(AccessCode.campaign_id.in_(ids))).scalars())


def build_site(world: World, export_folder: str | Path, responses: int = 6) -> Site:
    """Open one campaign per module for school A only and fill it; add strangers at school B."""
    world.school_a.name = f"THCS {MARK}"
    world.school_a.contact = {"phone": "0225 999 000", "counsellor": f"Cô {MARK}"}
    site = Site(world)
    registry, rng = get_registry(), random.Random(7)
    admin_a = world.users["school_admin"]
    for module in registry.modules.values():
        definition = registry.questionnaires.get(module.default_questionnaire or "")
        if definition is None or definition.model.withheld is not None:
            continue
        campaign = create_campaign(name=f"{MARK} {module.id}", definition=definition, owner=world.school_a,
                                   scope=[world.school_a], user_id=admin_a.id)
        set_status(campaign, "open")
        _synthetic_responses(campaign, definition, [world.school_a], rng, responses)
        site.campaigns.append(campaign)
    db.session.flush()
    registry.hook.demo_loaded(department=world.dept, schools=[world.school_a], campaigns=list(site.campaigns),
                              rng=rng)
    site.job = _finished_job(site.campaigns[0], world, export_folder)
    site.mail = _sink_message(world)
    site.strangers = {"admin": "school_b_admin"}
    for role in STRANGER_ROLES[1:]:
        name = f"b_{role}"
        create_user(name, PASSWORD, role, world.school_b)
        site.strangers[role] = name
    db.session.commit()
    return site


def _finished_job(campaign: Campaign, world: World, folder) -> ExportJob:
    path = Path(folder) / "site-job.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04 not really a workbook " + MARK.encode())
    job = ExportJob(campaign_id=campaign.id, org_id=world.school_a.id, user_id=world.users["school_admin"].id,
                    status="done", progress=100, path=str(path))
    db.session.add(job)
    db.session.flush()
    return job


def _sink_message(world: World) -> str:
    """A notification about school A, delivered into the mail sink (no SMTP in tests)."""
    from surveyapp import notify
    from surveyapp.notify.worker import deliver_due
    world.users["school_admin"].email = f"admin.{MARK.lower()}@example.vn"
    notify.enqueue("export.done", [world.users["school_admin"]], org=world.school_a, params={"link": "/exports/1"})
    db.session.commit()
    deliver_due()
    from flask import current_app
    from surveyapp.mail import sink_messages
    return sink_messages(Path(current_app.config["MAIL_FOLDER"]))[0].name


# -- URL parameters --------------------------------------------------------------------------------

def _table_ids(stem: str) -> list[int]:
    """Ids of rows of the tables named after a URL parameter (``assessment_id`` -> ``*assessment``)."""
    ids: list[int] = []
    for table in sa_inspect(db.engine).get_table_names():
        if table == stem or table.endswith("_" + stem):
            columns = {c["name"] for c in sa_inspect(db.engine).get_columns(table)}
            if "id" in columns:
                ids += list(db.session.execute(text(f'SELECT id FROM "{table}" ORDER BY id LIMIT 3')).scalars())
    return ids


def parameter_values(site: Site, name: str) -> list:
    """Values of school A's objects for one URL parameter; [] when the test cannot tell."""
    known = {
        "campaign_id": lambda: [c.id for c in site.campaigns],
        "job_id": lambda: [site.job.id],
        "org_id": lambda: [site.world.school_a.id],
        "unit_id": lambda: [site.world.school_a.id],
        "school_id": lambda: [site.world.school_a.id],
        "user_id": lambda: [site.world.users["school_admin"].id, site.world.users["counsellor"].id],
        "code": lambda: site.codes[:1],
        "number": lambda: [1],
        "page": lambda: [1],
        "note_id": lambda: list(db.session.execute(select(Notification.id).filter_by(org_id=site.world.school_a.id)
                                                   .limit(3)).scalars()),
        "name": lambda: [site.mail],
    }
    if name in known:
        return known[name]()
    if name.endswith("_id"):
        return _table_ids(name[:-3])
    return []


# -- the URL map -----------------------------------------------------------------------------------

STATIC_SUFFIX = "static"


def guards(view) -> set[str]:
    """What the view (or any decorator layer around it) declares about who may call it."""
    found, layer = set(), view
    while layer is not None:
        if getattr(layer, "public", False):
            found.add("public")
        if getattr(layer, "required_roles", None):
            found.add("role")
        code = getattr(layer, "__code__", None)
        if code is not None and getattr(code, "co_qualname", "").startswith("login_required."):
            found.add("login")
        layer = getattr(layer, "__wrapped__", None)
    return found


def view_rules(app: Flask) -> list:
    return [rule for rule in app.url_map.iter_rules() if not rule.endpoint.endswith(STATIC_SUFFIX)]


def is_public(app: Flask, rule) -> bool:
    return "public" in guards(app.view_functions[rule.endpoint])
