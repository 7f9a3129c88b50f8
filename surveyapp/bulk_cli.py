"""The command-line side of bulk files, shared by ``flask org import-*`` and ``flask users import``."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask_babel import force_locale
from flask_babel import gettext as _

from surveyapp import bulk
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.terminal import language, progress_bar


def lang_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--lang zh_CN|en``: the language of messages and column names (default: the UI's default language)."""
    return click.option("--lang", default=None, metavar="LANG", help="Language of messages: zh_CN (default) or en.")(command)


def run_import(kind: str, path: Path, lang: str | None, dry_run: bool = False) -> None:
    """Import ``path`` in one transaction; print every row error and exit 1 if there is any."""
    with force_locale(language(lang)):
        try:
            with progress_bar(bulk.STAGES) as progress:
                report = bulk.import_file(db.session, None, kind, path.name, path.read_bytes(), progress=progress)
        except ValidationError as exc:
            db.session.rollback()
            click.echo(f"{path}: {exc.message}", err=True)
            for line in exc.errors:
                click.echo(f"  {line}", err=True)
            raise SystemExit(1) from None
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        summary = _("%(rows)d rows: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
                    rows=report.rows, created=report.created, updated=report.updated, unchanged=report.unchanged)
        click.echo(f"{path}: {summary}" + (" " + _("(Checked only: nothing was written.)") if dry_run else ""))


def run_export(kind: str, path: Path, lang: str | None) -> None:
    """Write every record of ``kind`` to an XLSX file that can be imported again."""
    with force_locale(language(lang)):
        path.write_bytes(bulk.export_xlsx(db.session, kind))
    click.echo(f"{path}: {kind}")


def import_command(group: click.Group, name: str, kind: str, help_text: str) -> None:
    """Add ``NAME FILE [--dry-run] [--lang]`` to ``group``, importing records of ``kind``."""

    @group.command(name, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check the file and report, but write nothing.")
    @lang_option
    def command(file: Path, dry_run: bool, lang: str | None) -> None:
        run_import(kind, file, lang, dry_run)


def export_command(group: click.Group, name: str, kind: str, help_text: str) -> None:
    """Add ``NAME FILE.xlsx [--lang]`` to ``group``, exporting records of ``kind``."""

    @group.command(name, help=help_text)
    @click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
    @lang_option
    def command(file: Path, lang: str | None) -> None:
        run_export(kind, file, lang)
