"""The ``surveyapp`` command line (a Flask command group: ``surveyapp db upgrade`` works too)."""
from __future__ import annotations

import json
import os
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
        self._add_plugin_commands(ctx, warn=True)
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        # quiet here: a command that builds the app reports a broken plugin itself, once
        self._add_plugin_commands(ctx, warn=False)
        return super().get_command(ctx, name)

    def _add_plugin_commands(self, ctx, warn: bool) -> None:
        if getattr(self, "_plugins_added", False):
            return
        self._plugins_added = True
        from .contract import checked_hooks
        from .registry import build_plugin_manager
        try:
            checked_hooks(build_plugin_manager()).register_commands(cli=self)
        except Exception as exc:  # a broken plugin must not hide the core commands
            if warn:
                click.echo(f"warning: plugin commands unavailable: {exc}", err=True)


@click.group(cls=SurveyappGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def cli():
    """surveyapp: school surveys and self-assessments."""


def main() -> None:
    """A broken plugin stops every command with its one-line message (a traceback with --debug)."""
    from .contract import StartupError
    try:
        cli.main(prog_name="surveyapp")
    except StartupError as exc:
        if "--debug" in sys.argv[1:] or os.environ.get("FLASK_DEBUG") == "1":
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


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


@cli.command("validate", with_appcontext=False)  # must work when start-up would fail
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
def validate_command(files):
    """Check questionnaire files as start-up does; print each problem as file:line: field.

    Checks the schema, bands, optional items in scales, scoring methods, and that the
    file's module is installed and (for a registered file) owned by its plugin; then
    anything else that would stop start-up. With no FILES: every installed module's files."""
    from .registry import build_plugin_manager, validate_files
    failed = False
    for line, ok in validate_files(build_plugin_manager(), list(files)):
        click.echo(line, err=not ok)
        failed |= not ok
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
@click.option("--role", type=click.Choice(["admin", "counsellor", "viewer", "auditor", "safeguarding"]), required=True)
@click.option("--org", "org_code", required=True, help="code of the unit the role covers")
@click.option("--name", default="", help="full name")
@click.option("--email", default=None, help="address for notifications (alerts, escalations)")
@click.password_option()
@with_appcontext
def create_user_command(username, role, org_code, name, email, password):
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
        create_user(username, password, role, org, name).email = (email or "").strip() or None
    except ValueError as exc:
        raise click.ClickException(str(exc))
    db.session.commit()
    click.echo(f"created {username.lower()} ({role} at {org.name})")


@cli.command("provision-admins")
@click.argument("org_code")
@click.option("--base-url", required=True, help="the site's address, for the setup links (https://...)")
@click.option("--letters", type=click.Path(dir_okay=False, writable=True), help="write printable letters (HTML)")
@with_appcontext
def provision_admins_command(org_code, base_url, letters):
    """One school-admin account per school under ORG_CODE that has none, with a one-time setup link."""
    from flask import current_app, render_template, url_for

    from . import authority
    from .accounts import provision_school_admins
    from .extensions import db
    from .models import OrgUnit
    from .orgs import subtree
    unit = db.session.execute(select(OrgUnit).filter_by(code=org_code)).scalar_one_or_none()
    if unit is None:
        raise click.ClickException(f"no organisation unit with code '{org_code}'")
    with current_app.test_request_context(base_url=base_url):
        made = provision_school_admins(authority.SYSTEM, subtree(unit, kind="school"))
        db.session.commit()
        root = base_url.rstrip("/")
        rows = [(school, user, root + url_for("account.link", token=token)) for school, user, token in made]
        if letters:
            wards: dict = {}
            for row in rows:
                wards.setdefault(row[0].parent, []).append(row)
            Path(letters).write_text(render_template("admin/provision_letters.html", wards=wards, sent=[],
                                                     unit=unit), encoding="utf-8")
    for school, user, link in rows:
        click.echo(f"{school.code}\t{user.username}\t{user.email or ''}\t{link}")
    click.echo(f"{len(rows)} accounts created", err=True)


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
@click.option("--raw", is_flag=True, help="include the anonymised raw-data sheet (a school's own copy only, "
                                         "for a student survey)")
@click.option("--school-copy", is_flag=True, help="the school's own copy: free text (masked) and, with --raw, "
                                                 "its raw rows; --org must be a school")
@click.option("--locale", type=click.Choice(["vi", "en"]), default="vi")
@with_appcontext
def export_command(campaign_id, output, org_code, raw, school_copy, locale):
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
            options = ExportOptions(include_raw=raw, locale=locale, own_school=school_copy)
            path = build_workbook(campaign, org, Path(output), options, progress)
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


@cli.command("notify-worker")
@click.option("--once", is_flag=True, help="deliver what is due, then exit")
@click.option("--interval", type=float, help="seconds between polls (default SURVEYAPP_NOTIFY_POLL_SECONDS)")
@click.option("--batch", default=50, show_default=True, help="notifications claimed per poll")
@with_appcontext
def notify_worker_command(once, interval, batch):
    """Deliver queued notifications, escalate unacknowledged alerts, send daily digests."""
    from .notify.worker import loop, run_once
    if once:
        with current_app.test_request_context():
            click.echo(json.dumps(run_once(limit=batch)))
        return
    loop(current_app._get_current_object(), interval or current_app.config["NOTIFY_POLL_SECONDS"], limit=batch,
         report=lambda counts: click.echo(json.dumps(counts)))


@cli.command("notify-health")
@click.option("--max-age", default=600, show_default=True, help="seconds the oldest waiting row may wait")
@with_appcontext
def notify_health_command(max_age):
    """Print the outbox figures as JSON; exit 1 on a dead letter or a row waiting too long (for monitoring)."""
    from .notify.worker import outbox_health
    health = outbox_health()
    click.echo(json.dumps(health))
    if health["dead"] or health["oldest_seconds"] > max_age:
        sys.exit(1)


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
    app.config["BASE_URL"] = app.config.get("BASE_URL") or f"http://{host}:{port}"  # links in mail
    if app.config.get("NOTIFY_IN_THREAD"):  # one process: deliver notifications here too
        from .notify.worker import start_thread
        start_thread(app)
    # run_simple, not app.run(): Flask ignores app.run() inside its own CLI commands.
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


@cli.command("demo")
@click.option("--seed", default=2024, show_default=True)
@click.option("--scale", default=0, show_default=True, type=click.IntRange(min=0),
              help="also add N generated responses to every student campaign of the demo (bulk inserts); "
                   "on a database that already holds the demo, only adds them")
@with_appcontext
def demo_command(seed, scale):
    """Load the demo (city department, wards, schools, users, open campaigns with responses)."""
    from .demo import demo_campaign_ids, load_demo
    _ensure_schema()
    if _holds_units():
        existing = demo_campaign_ids()
        if not existing:
            raise click.ClickException("the database already holds organisation units that are not the "
                                       "demo's; the demo needs an empty database and never adds synthetic "
                                       "answers to real campaigns")
        if not scale:
            raise click.ClickException("the demo is already loaded (it needs an empty database to load "
                                       "again); use --scale N to add responses to its campaigns")
        click.echo(f"demo already loaded: adding {scale:,} responses to each of its student campaigns")
        _scale_demo(existing, scale, seed)
        return
    made = load_demo(seed=seed)
    _print_demo(made)
    if scale:
        _scale_demo([cid for cid, _name in made["campaigns"]], scale, seed)


def _ensure_schema() -> None:
    """Migrate a new database, or one Alembic manages, to the latest schema; leave a database whose
    tables were made without Alembic (``db.create_all``, as the tests do) alone."""
    from flask_migrate import upgrade
    from sqlalchemy import inspect, text
    from .extensions import db
    from .storage import sync_questionnaires
    tables = set(inspect(db.engine).get_table_names())
    managed = "alembic_version" in tables and db.session.execute(
        text("SELECT version_num FROM alembic_version")).first() is not None
    if "org_unit" not in tables or managed:
        db.session.remove()   # the migration runs on its own connection
        upgrade(revision="heads")
    sync_questionnaires(get_registry())


def _holds_units() -> bool:
    from .extensions import db
    from .models import OrgUnit
    return db.session.execute(select(OrgUnit.id).limit(1)).first() is not None


def _scale_demo(campaign_ids: list[int], scale: int, seed: int) -> None:
    from .demo import scale_demo
    for campaign_id, result in scale_demo(campaign_ids, scale, seed):
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
    from .demo import load_demo
    _ensure_schema()
    if _holds_units():
        click.echo("database ready (demo already loaded)")
        return
    _print_demo(load_demo())
    _deliver_demo_notifications()


def _deliver_demo_notifications() -> None:
    """The demo's events (an urgent alert, box messages, assessment decisions) notified people:
    deliver them now, into the mail sink when no SMTP is set (admin page: Notifications)."""
    from .notify.sweeps import run_daily
    from .notify.worker import deliver_due
    current_app.config["BASE_URL"] = current_app.config.get("BASE_URL") or "http://127.0.0.1:5000"  # `make run`
    with current_app.test_request_context():
        run_daily()  # today's digests and reminders, as the worker's first run of the day would
        counts = deliver_due(limit=500)
    click.echo(f"notifications: {counts.get('sent', 0)} delivered"
               + (f" (see {current_app.config['MAIL_FOLDER']})" if not current_app.config.get("SMTP_HOST") else ""))
