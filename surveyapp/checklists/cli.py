"""``flask forms check|load|list``: checklist files from the command line."""
from __future__ import annotations

import sys
from collections.abc import Sequence

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from surveyapp import clock
from surveyapp.checklists import loader, services
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.resources import resource_dir
from surveyapp.terminal import LANG_HELP, use_language, width


@click.group("forms")
@click.option("--lang", default=None, help=LANG_HELP)
@click.pass_context
def forms_group(ctx: click.Context, lang: str | None) -> None:
    """Checklist files (forms/*.toml): check, load, list."""
    use_language(ctx, lang)


def _read(paths: Sequence[str]) -> tuple[list[loader.SourceFile], list[str]]:
    return loader.read_sources(paths or [resource_dir("forms")])


def _fail(messages: Sequence[str], summary: str) -> None:
    for message in messages:
        click.echo(message, err=True)
    click.echo(summary, err=True)
    sys.exit(1)


@forms_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@with_appcontext
def check(paths: tuple[str, ...]) -> None:
    """Validate checklist files (default: the forms/ folder) and list every problem; exit 1 on any."""
    sources, errors = _read(paths)
    checked = loader.check_sources(sources)
    problems = errors + [m for result in checked for m in result.messages()]
    for result in checked:
        if result.definition is not None:
            d = result.definition
            click.echo(_("%(file)s: ok (%(form)s version %(version)s, %(items)s items, %(scored)s scored)",
                         file=result.source.name, form=d.id, version=d.version, items=len(d),
                         scored=sum(1 for i in d.items if i.scored)))
    if problems:
        _fail(problems, _("%(files)s files checked, %(n)s problems.", files=len(sources), n=len(problems)))


@forms_group.command("load")
@click.argument("paths", nargs=-1, type=click.Path())
@with_appcontext
def load(paths: tuple[str, ...]) -> None:
    """Load checklist files (default: the forms/ folder); all or nothing, unchanged files are skipped."""
    sources, errors = _read(paths)
    if errors:
        _fail(errors, _("No checklist was loaded: fix these problems first."))
    try:
        outcomes = services.load_sources(db.session, None, sources)
    except ValidationError as exc:
        db.session.rollback()
        _fail(exc.errors, str(exc.message))
    db.session.commit()
    status = {services.CREATED: _("loaded"), services.UPDATED: _("replaced (not used by any visit yet)"),
              services.UNCHANGED: _("unchanged")}
    for outcome in outcomes:
        click.echo(_("%(file)s: %(form)s version %(version)s %(status)s", file=outcome.name,
                     form=outcome.version.checklist.slug, version=outcome.version.version, status=status[outcome.status]))


@forms_group.command("list")
@with_appcontext
def list_() -> None:
    """List loaded checklists: id, versions, item counts, when loaded and whether visits use them."""
    summaries = services.list_checklists(db.session)
    if not summaries:
        click.echo(_("No checklist is loaded. Load the files with: flask forms load"))
        return
    versions = [v for s in summaries for v in s.checklist.versions]
    counts = services.item_counts(db.session, [v.id for v in versions])
    header = (_("Checklist"), _("Version"), _("Items"), _("Scored"), _("Loaded"), _("In use since"), _("Title"))
    rows = [header]
    for summary in summaries:
        for v in summary.checklist.versions:
            items, scored = counts.get(v.id, (0, 0))
            rows.append((summary.checklist.slug, str(v.version), str(items), str(scored),
                         clock.local(v.loaded_at).strftime("%Y-%m-%d %H:%M"),
                         clock.local(v.frozen_at).strftime("%Y-%m-%d %H:%M") if v.frozen_at else "-", v.title))
    widths = [max(width(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        cells = [cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))

