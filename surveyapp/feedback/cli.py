"""``flask feedback``: deadline reminders and findings for visits released before this capability existed."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from surveyapp.db import db
from surveyapp.feedback import services
from surveyapp.visits.models import Visit, VisitStatus


@click.group("feedback")
def feedback_group() -> None:
    """Hall feedback: findings, rectification and appeal deadlines."""


@feedback_group.command("remind")
@click.option("--days", type=click.IntRange(0, 60), default=None,
              help="Remind of deadlines this many days ahead (default: setting FEEDBACK_REMIND_DAYS).")
@with_appcontext
def remind_command(days: int | None) -> None:
    """Tell hall managers of rectification deadlines coming due (once per hall and day: safe to run hourly)."""
    # Workers (flask jobs worker) also do this every hour on their own.
    days = current_app.config["FEEDBACK_REMIND_DAYS"] if days is None else days
    sent = services.remind(db.session, days)
    db.session.commit()
    click.echo(f"{sent} reminder(s) sent")


@feedback_group.command("sync")
@with_appcontext
def sync_command() -> None:
    """Make the findings of released visits that have none yet (e.g. released before an upgrade)."""
    visits = db.session.scalars(sa.select(Visit).where(Visit.status == VisitStatus.VALIDATED,
                                                       Visit.released_at.is_not(None)).order_by(Visit.id))
    made = services.make_findings(db.session, visits)
    db.session.commit()
    click.echo(f"{len(made)} finding(s) made")
