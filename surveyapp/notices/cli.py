"""``flask notices publish``: publish a month's notice from a terminal, with a progress bar."""
from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from surveyapp.db import db
from surveyapp.errors import DomainError
from surveyapp.notices import publishing, queries, services


@click.group("notices")
def notices_group() -> None:
    """Monthly notices."""


@notices_group.command("publish")
@click.argument("period")
@click.option("--reason", default=None, help="Why a revision is published (required from revision 2 on).")
@with_appcontext
def publish_command(period: str, reason: str | None) -> None:
    """Publish the notice of PERIOD (YYYY-MM) now, in this process, then store every hall's letter; both with a
    progress bar. (The web page does the same as a background job.)"""
    stages = list(publishing.STAGES)
    try:
        notice = queries.get_notice(db.session, period) or services.create_notice(db.session, None, period)
        with click.progressbar(length=100 * len(stages), label=str(publishing.STAGES[stages[0]]),
                               show_percent=True, show_eta=False) as bar:
            def progress(stage: str, done: int = 0, total: int = 0) -> None:
                bar.label = str(publishing.STAGES[stage]) + (f" {done}/{total}" if total else "")
                bar.update(100 * stages.index(stage) + (100 * done // total if total else 0) - bar.pos)

            revision = services.publish(db.session, None, notice, reason, progress=progress)
            db.session.commit()
            bar.update(bar.length - bar.pos)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    click.echo(_("Revision %(n)s is published; halls can now read it.", n=revision.number))
    hall_ids = [line["hall_id"] for line in revision.snapshot["results"]["halls"]]
    with click.progressbar(length=len(hall_ids), label=_("Storing hall letters"), show_pos=True) as bar:
        publishing.store_letters(db.session, revision, hall_ids,
                                 lambda _stage, done=0, total=0: bar.update(done - bar.pos))
        bar.update(bar.length - bar.pos)
