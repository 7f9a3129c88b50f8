"""``flask visits ...``: import paper or offline results, plan a month from the command line."""
from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from surveyapp.auth.models import User
from surveyapp.bulk_cli import lang_option
from surveyapp.db import db
from surveyapp.errors import DomainError
from surveyapp.terminal import language, progress_bar
from surveyapp.visits.rules import VisitSettings


@click.group("visits")
def visits_group() -> None:
    """Visits: import results done on paper or offline."""


def _fail(what: object, exc: DomainError) -> None:
    db.session.rollback()
    click.echo(f"{what}: {exc.message}", err=True)
    for line in getattr(exc, "errors", []):
        click.echo(f"  {line}", err=True)
    raise SystemExit(1)


@visits_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--validate", is_flag=True, help="Also validate the imported visits (with --by).")
@click.option("--by", "by", metavar="USERNAME", help="The market department user who validates them.")
@click.option("--accept-late", is_flag=True,
              help="With --validate: also validate visits dated in a closed month (their notice then needs a revision).")
@click.option("--dry-run", is_flag=True, help="Check the file and report, but write nothing.")
@lang_option
@with_appcontext
def import_command(file: Path, validate: bool, by: str | None, accept_late: bool, dry_run: bool,
                   lang: str | None) -> None:
    """Import FILE.json of visits done on paper or offline, all or nothing (README "Importing results")."""
    from surveyapp.visits import imports

    if validate != bool(by):
        raise click.UsageError("--validate and --by USERNAME go together")
    with force_locale(language(lang)):
        validator = None
        if by:
            validator = db.session.scalar(sa.select(User).where(User.username == by.strip().lower()))
            if validator is None:
                click.echo(f"{file}: " + _("There is no user %(name)s.", name=by), err=True)
                raise SystemExit(1)
        try:
            with progress_bar(imports.STAGES) as progress:
                report = imports.import_visits(db.session, None, file.read_bytes(), file.name, validator, accept_late,
                                               progress=progress, settings=VisitSettings.of(current_app))
        except DomainError as exc:
            _fail(file, exc)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        summary = _("%(records)d records: %(imported)d imported (%(validated)d validated), %(unchanged)d unchanged.",
                    records=report.records, imported=report.imported, validated=report.validated,
                    unchanged=report.unchanged)
        click.echo(f"{file}: {summary}" + (" " + _("(Checked only: nothing was written.)") if dry_run else ""))
