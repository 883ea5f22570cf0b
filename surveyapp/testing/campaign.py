"""An open campaign and the access code of a class: the set-up every module's tests share."""
from __future__ import annotations


def open_campaign(world, qid: str, name: str | None = None, scope=None, **kwargs):
    """A campaign of questionnaire ``qid`` owned by the department (its whole city unless
    ``scope`` says otherwise), opened and committed."""
    from surveyapp import get_registry
    from surveyapp.campaigns import create_campaign, set_status
    from surveyapp.extensions import db
    campaign = create_campaign(name=name or qid, definition=get_registry().questionnaires[qid], owner=world.dept,
                               scope=scope or [world.dept], user_id=None, **kwargs)
    set_status(campaign, "open")
    db.session.commit()
    return campaign


def code_for(campaign, class_group) -> str:
    from sqlalchemy import select

    from surveyapp.extensions import db
    from surveyapp.models import AccessCode
    return db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id,
                                                                class_group_id=class_group.id)).scalar_one()
