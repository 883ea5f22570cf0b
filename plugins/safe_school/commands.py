"""``surveyapp criteria template`` and ``surveyapp criteria import``."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from .sets import MODULE_ID

HELP = {
    "group_id": "group (section) id: lower-case letters, digits, _; rows of a group together",
    "group_title_vi": "group title in Vietnamese (first row of the group)",
    "group_title_en": "group title in English (first row of the group)",
    "group_source": "legal source of the group, e.g. 'TT 18/2023/TT-BGDĐT Phụ lục, mục 1'",
    "code": "criterion code as printed in the annex, e.g. 1.1 (unique, at most 20 characters)",
    "item_id": "stable id (keep it across versions for year-over-year comparison); blank: from the code",
    "text_vi": "full criterion wording in Vietnamese",
    "text_en": "English rendering",
    "mandatory": "1 if the criterion is mandatory (bắt buộc), blank otherwise",
    "allow_na": "1 if 'không áp dụng' is allowed (the '(nếu có)' criteria)",
    "evidence_vi": "expected evidence (Vietnamese); give both languages or neither",
    "evidence_en": "expected evidence (English)",
    "provenance": "verbatim (copied from the circular) or paraphrased",
    "source": "optional source of the single criterion",
}


def register(cli) -> None:
    @cli.group("criteria")
    def criteria():
        """Safe-school criteria sets: template and import of the official annex."""

    @criteria.command("template")
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the .xlsx to write")
    @click.option("--set", "qid", default="safe_school.tt18_2023", show_default=True, help="set to start from")
    @with_appcontext
    def template(output, qid):
        """Write the import template, filled with the current criteria of a set."""
        from .criteria_import import COLUMNS, template_rows
        from surveyapp.export import Column, SheetSpec, WorkbookWriter
        from surveyapp.storage import latest_version
        version = latest_version(qid)
        if version is None:
            raise click.ClickException(f"'{qid}' is not a stored criteria set")
        writer = WorkbookWriter(Path(output))
        writer.add_sheet(SheetSpec("criteria", [Column(c, width=18) for c in COLUMNS], template_rows(version)))
        writer.add_sheet(SheetSpec("README", [Column("column", width=18), Column("meaning", width=90)],
                                   [[c, HELP[c]] for c in COLUMNS]))
        writer.close()
        click.echo(f"wrote {output}: {len(template_rows(version))} criteria of {qid} {version.display_version}")

    @criteria.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--set", "qid", required=True, help="stored set, e.g. safe_school.tt18_2023")
    @click.option("--version", "label", required=True, help="label of the new version, e.g. 2026-official")
    @with_appcontext
    def import_(file, qid, label):
        """Create a new version of a criteria set from FILE.xlsx (all rows or none)."""
        from .criteria_import import CriteriaImportError, import_file
        try:
            version, created = import_file(Path(file), qid, label, MODULE_ID)
        except CriteriaImportError as exc:
            for problem in exc.problems:
                click.echo(f"{Path(file).name}: {problem}", err=True)
            raise click.ClickException(f"nothing imported ({len(exc.problems)} problem(s))")
        if created:
            click.echo(f"created {qid} {version.display_version}; create a campaign on it to use it")
        else:
            click.echo(f"unchanged: the same criteria are already stored as {qid} {version.display_version}")
