"""The ``surveyapp`` command line (a Flask command group: ``surveyapp db upgrade`` works too)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from . import create_app, get_registry


def _create_app():
    return create_app()


class SurveyappGroup(FlaskGroup):
    """Adds the commands plugins contribute through ``register_commands``."""

    def list_commands(self, ctx):
        self._add_plugin_commands(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        self._add_plugin_commands(ctx)
        return super().get_command(ctx, name)

    def _add_plugin_commands(self, ctx) -> None:
        if getattr(self, "_plugins_added", False):
            return
        self._plugins_added = True
        from .registry import build_plugin_manager
        try:
            build_plugin_manager().hook.register_commands(cli=self)
        except Exception as exc:  # a broken plugin must not hide the core commands
            click.echo(f"warning: plugin commands unavailable: {exc}", err=True)


@click.group(cls=SurveyappGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def cli():
    """surveyapp: school surveys and self-assessments."""


def main() -> None:
    cli.main(prog_name="surveyapp")


# -- plugins and questionnaires -------------------------------------------------------------

@cli.command("plugins")
@with_appcontext
def plugins_command():
    """List the loaded plugins, their modules and questionnaires."""
    registry = get_registry()
    for name, plugin in sorted(registry.pm.list_name_plugin(), key=lambda p: str(p[0])):
        click.echo(f"{name}  ({getattr(plugin, '__name__', plugin)})")
    for module in registry.modules.values():
        click.echo(f"\nmodule {module.id}: {module.name.get('vi')} / {module.name.get('en')}")
        for definition in registry.questionnaires_for(module.id):
            state = "  [withheld]" if definition.model.withheld else ""
            click.echo(f"  {definition.id}  v{definition.version}  {len(definition.items)} items{state}")


@cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate_command(files):
    """Check questionnaire files; print each problem with file, line and field."""
    from .questionnaire import QuestionnaireError, load_file
    failed = False
    for name in files:
        try:
            definition = load_file(name)
        except QuestionnaireError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(str(problem), err=True)
        else:
            click.echo(f"{name}: OK ({definition.id} v{definition.version}, {len(definition.items)} items)")
    sys.exit(1 if failed else 0)


@cli.command("score")
@click.argument("questionnaire_id")
@click.option("--answers", required=True, help="JSON list of item values in item order")
@with_appcontext
def score_command(questionnaire_id, answers):
    """Score answers with a registered questionnaire and print the result as JSON."""
    from .questionnaire import AnswerError, answers_from_list, check_answers
    from .respondent import score_answers
    from .scoring import ScoringError
    definition = get_registry().questionnaires.get(questionnaire_id)
    if definition is None:
        known = ", ".join(sorted(get_registry().questionnaires))
        raise click.ClickException(f"unknown questionnaire '{questionnaire_id}' (known: {known})")
    if definition.model.withheld is not None:
        raise click.ClickException(f"{questionnaire_id} is not available: {definition.model.withheld.en} "
                                   f"/ {definition.model.withheld.vi}")
    try:
        values = json.loads(answers)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"--answers is not valid JSON: {exc}")
    if not isinstance(values, list):
        raise click.ClickException("--answers must be a JSON list of values in item order")
    try:
        clean = check_answers(definition, answers_from_list(definition, values))
        result = score_answers(definition, clean)
    except (AnswerError, ScoringError) as exc:
        raise click.ClickException(str(exc))
    output = {"questionnaire": definition.id, "version": definition.version, **result.as_json()}
    click.echo(json.dumps(output, ensure_ascii=False))


# -- data ----------------------------------------------------------------------------------------

@cli.command("campaigns")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@with_appcontext
def campaigns_command(as_json):
    """List campaigns: id, module, questionnaire version, status, scope, responses."""
    from .extensions import db
    from .models import Campaign
    from .storage import count_submitted
    rows = []
    for campaign in db.session.execute(select(Campaign).order_by(Campaign.id)).scalars():
        rows.append({"id": campaign.id, "name": campaign.name, "module": campaign.module,
                     "questionnaire": campaign.qversion.qid, "version": campaign.qversion.label,
                     "version_seq": campaign.qversion.seq, "status": campaign.status,
                     "scope": [u.code for u in campaign.scope], "responses": count_submitted(campaign.id)})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['id']:>4}  {r['status']:<6}  {r['questionnaire']} v{r['version']} (#{r['version_seq']})  "
                   f"{r['responses']:>7} responses  scope={','.join(r['scope'])}  {r['name']}")


@cli.command("purge-anonymous")
@with_appcontext
def purge_anonymous_command():
    """Delete drafts of closed campaigns and old drafts, expired send marks and rate-limit
    rows (see surveyapp/traces.py). Run daily, e.g. from cron."""
    from .extensions import db
    from .traces import DRAFT_DAYS, checkpoint, purge
    purged = purge()
    if db.engine.dialect.name == "sqlite":
        checkpoint(db.engine)
    click.echo(f"drafts (closed campaigns or older than {DRAFT_DAYS} days): {purged.drafts}, "
               f"send marks: {purged.marks}, rate-limit rows: {purged.counters}")


@cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "counsellor", "viewer", "auditor"]), required=True)
@click.option("--org", "org_code", required=True, help="code of the unit the role covers")
@click.option("--name", default="", help="full name")
@click.password_option()
@with_appcontext
def create_user_command(username, role, org_code, name, password):
    """Create a user with one role over an organisation unit (and its subtree)."""
    from .accounts import create_user
    from .extensions import db
    from .models import OrgUnit, User
    org = db.session.execute(select(OrgUnit).filter_by(code=org_code)).scalar_one_or_none()
    if org is None:
        raise click.ClickException(f"no organisation unit with code '{org_code}'")
    if db.session.execute(select(User.id).filter_by(username=username.lower())).first():
        raise click.ClickException(f"user '{username}' exists already")
    try:
        create_user(username, password, role, org, name)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    db.session.commit()
    click.echo(f"created {username.lower()} ({role} at {org.name})")


@cli.command("import-orgs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_orgs_command(file):
    """Import or update the organisation tree from CSV (UTF-8) or XLSX; all rows or none."""
    from .orgs import ImportError_, import_file
    try:
        report = import_file(file)
    except ImportError_ as exc:
        for problem in exc.problems:
            click.echo(f"{file}: {problem}", err=True)
        raise click.ClickException("nothing was imported")
    click.echo(report.summary())
    for label, codes in (("created", report.created), ("updated", report.updated)):
        if codes:
            click.echo(f"  {label}: {', '.join(codes)}")


@cli.command("export")
@click.argument("campaign_id", type=int)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--org", "org_code", help="unit code (default: the campaign's owner)")
@click.option("--raw", is_flag=True, help="include the anonymised raw-data sheet")
@click.option("--locale", type=click.Choice(["vi", "en"]), default="vi")
@with_appcontext
def export_command(campaign_id, output, org_code, raw, locale):
    """Build a campaign workbook with a progress bar."""
    from flask_babel import force_locale
    from .export import ExportOptions, build_workbook
    from .extensions import db
    from .models import Campaign, OrgUnit
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"no campaign {campaign_id}")
    org = campaign.owner_org if not org_code else \
        db.session.execute(select(OrgUnit).filter_by(code=org_code)).scalar_one_or_none()
    if org is None:
        raise click.ClickException(f"no organisation unit with code '{org_code}'")
    with current_app.test_request_context(), force_locale(locale), \
            click.progressbar(length=100, label="export", file=sys.stderr) as bar:
        state = {"done": 0}

        def progress(pct: int, _message: str) -> None:
            if pct > state["done"]:
                bar.update(pct - state["done"])
                state["done"] = pct

        try:
            path = build_workbook(campaign, org, Path(output), ExportOptions(include_raw=raw, locale=locale),
                                  progress)
        except Exception as exc:
            raise click.ClickException(f"export failed, no file written: {exc}")
    click.echo(f"wrote {path}")


@cli.command("export-worker")
@click.option("--once", is_flag=True, help="run the queued jobs, then exit")
@click.option("--interval", default=2.0, show_default=True, help="seconds between polls")
@with_appcontext
def export_worker_command(once, interval):
    """Build queued export jobs (for SURVEYAPP_EXPORT_IN_THREAD=0 deployments)."""
    import time
    from .jobs import run_queued
    while True:
        with current_app.test_request_context():
            for job in run_queued():
                click.echo(f"export job {job.id}: {job.status} {job.message or ''}".rstrip())
        if once:
            return
        time.sleep(interval)


@cli.command("i18n-compile")
def i18n_compile_command():
    """Compile the .po catalogs of the core and of every plugin to .mo files."""
    from .i18n import compile_all
    for line in compile_all():
        click.echo(line)


@cli.command("i18n-update")
@click.option("--domain", help="only this catalog: messages (the core) or a module id")
def i18n_update_command(domain):
    """Extract interface strings and merge them into the catalogs (core and plugins)."""
    from .i18n import update_all
    for line in update_all(domain):
        click.echo(line)


@cli.group("audit")
def audit_group():
    """The hash-chained audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command():
    """Check that no audit entry was edited, removed or reordered."""
    from .audit import verify
    problems = verify()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"audit log is NOT intact ({len(problems)} problem(s))")
    click.echo("audit log intact")


@cli.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
def serve_command(host, port):
    """Serve the app (development server; use gunicorn in production, see README)."""
    from werkzeug.serving import run_simple
    app = create_app()
    click.echo(f"surveyapp on http://{host}:{port}/")
    # run_simple, not app.run(): Flask ignores app.run() inside its own CLI commands.
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@cli.command("demo")
@click.option("--seed", default=2024, show_default=True)
@click.option("--scale", default=0, show_default=True, type=click.IntRange(min=0),
              help="also add N generated responses to every student campaign (bulk inserts)")
@with_appcontext
def demo_command(seed, scale):
    """Load the demo (city department, wards, schools, users, open campaigns with responses)."""
    from .demo import load_demo
    from .storage import sync_questionnaires
    sync_questionnaires(get_registry())
    try:
        made = load_demo(seed=seed)
    except RuntimeError as exc:
        raise click.ClickException(str(exc))
    _print_demo(made)
    if scale:
        _scale_demo(made, scale, seed)


def _scale_demo(made: dict, scale: int, seed: int) -> None:
    from .demo import scale_demo
    for campaign_id, result in scale_demo([cid for cid, _name in made["campaigns"]], scale, seed):
        click.echo(f"  campaign {campaign_id}: +{result.rows:,} responses in {result.seconds:.1f} s "
                   f"({result.rate:,.0f}/s)")


def _print_demo(made: dict) -> None:
    click.echo(f"demo: {made['units']} units, {made['schools']} schools, {len(made['campaigns'])} campaigns")
    for campaign_id, name in made["campaigns"]:
        click.echo(f"  campaign {campaign_id}: {name}")
    click.echo(f"users (password for all: {made['password']}):")
    for username, role, code in made["users"]:
        click.echo(f"  {username:<14} {role:<11} at {code}")


@cli.command("init-demo")
@with_appcontext
def init_demo_command():
    """Migrate the database to the latest schema; load the demo when it is empty."""
    from flask_migrate import upgrade
    from .demo import load_demo
    from .extensions import db
    from .models import OrgUnit
    from .storage import sync_questionnaires
    upgrade(revision="heads")
    sync_questionnaires(get_registry())
    if db.session.execute(select(OrgUnit.id).limit(1)).first():
        click.echo("database ready (demo already loaded)")
        return
    _print_demo(load_demo())
