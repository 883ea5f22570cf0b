"""Every demo workbook an official can ask for: each module's campaign, for the department and for
one school (the school's own, with its raw sheet), in Vietnamese and in English."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask_babel import force_locale
from sqlalchemy import select

from surveyapp.campaigns import schools_in
from surveyapp.demo import load_demo
from surveyapp.export import ExportOptions, build_workbook, raw_allowed
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, Campaign, OrgUnit, Response

LOCALES = ("vi", "en")


@dataclass
class Book:
    path: Path
    campaign: Campaign
    scope: OrgUnit
    locale: str

    def __str__(self) -> str:
        return f"{self.campaign.module} / {self.scope.code} / {self.locale}"


def answered_school(campaign: Campaign) -> OrgUnit:
    """The first school of the campaign (in code order) that has a submitted response."""
    answered = set(db.session.execute(select(Response.school_id).where(
        Response.campaign_id == campaign.id, Response.status == RESPONSE_SUBMITTED)).scalars())
    return next(s for s in sorted(schools_in(campaign), key=lambda s: s.code) if s.id in answered)


def build_demo_books(folder: Path, locales=LOCALES, responses_per_class: int = 3) -> list[Book]:
    load_demo(responses_per_class=responses_per_class)
    city = db.session.execute(select(OrgUnit).filter_by(code="SGD")).scalar_one()
    books = []
    for campaign in db.session.execute(select(Campaign).order_by(Campaign.id)).scalars():
        school = answered_school(campaign)
        scopes = [(city, ExportOptions(include_raw=raw_allowed(campaign, city, False))),
                  (school, ExportOptions(include_raw=True, own_school=True))]
        for scope, options in scopes:
            for locale in locales:
                options.locale = locale
                path = folder / f"{campaign.id}-{scope.code}-{locale}.xlsx"
                with force_locale(locale):
                    build_workbook(campaign, scope, path, options)
                books.append(Book(path, campaign, scope, locale))
    return books
