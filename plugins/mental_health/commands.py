"""``surveyapp mental-health purge``: real deletion of closed records after the retention period."""
from __future__ import annotations

import os

import click
from flask import current_app
from flask.cli import with_appcontext

from surveyapp.extensions import db

DEFAULT_RETENTION_DAYS = 365 * 2


def retention_days() -> int:
    configured = current_app.config.get("MH_RETENTION_DAYS") or os.environ.get("SURVEYAPP_MH_RETENTION_DAYS")
    return int(configured) if configured not in (None, "") else DEFAULT_RETENTION_DAYS


@click.group("mental-health")
def mental_health_group():
    """School counselling records (mental_health module)."""


@mental_health_group.command("purge")
@click.option("--days", type=int, default=None, help="Override SURVEYAPP_MH_RETENTION_DAYS.")
@with_appcontext
def purge_command(days: int | None):
    """Delete counselling records closed more than the retention period ago (rows, not flags)."""
    from .cases import purge
    days = retention_days() if days is None else days
    if days < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--days")
    engine = db.engine
    if engine.dialect.name == "sqlite":
        db.session.execute(db.text("PRAGMA secure_delete=ON"))  # overwrite freed pages too
    ids = purge(days)
    db.session.commit()
    if engine.dialect.name == "sqlite":
        db.session.execute(db.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    click.echo(f"deleted {len(ids)} closed record(s) older than {days} days")


@mental_health_group.command("confidential")
@click.argument("campaign_id", type=int)
@click.option("--off", is_flag=True, help="Back to anonymous screening.")
@with_appcontext
def confidential_command(campaign_id: int, off: bool):
    """Make a draft mental_health campaign confidential (consent and identity before answering)."""
    from surveyapp import audit
    from surveyapp.models import Campaign
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.module != "mental_health":
        raise click.ClickException(f"no mental_health campaign {campaign_id}")
    if campaign.status != "draft":
        raise click.ClickException("only a draft campaign can change mode (students were told how it works)")
    campaign.settings = {**(campaign.settings or {}), "confidential": not off}
    audit.record("mental_health.campaign.mode", campaign, org_id=campaign.owner_org_id, confidential=not off)
    db.session.commit()
    click.echo(f"campaign {campaign_id}: {'anonymous' if off else 'confidential'}")
