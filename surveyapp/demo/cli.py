"""``flask demo ...``: demo data, only when ``DEMO`` is on."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from surveyapp.db import db
from surveyapp.errors import ValidationError


@click.group("demo")
def demo_group() -> None:
    """Demo data (needs DEMO = True in instance/config.py or SURVEYAPP_DEMO=1)."""


def _require_demo() -> None:
    if not current_app.config.get("DEMO"):
        raise click.ClickException("demo mode is off: set DEMO = True in instance/config.py or SURVEYAPP_DEMO=1 "
                                   "(never on a production system: demo accounts have known passwords)")


@demo_group.command("load")
@with_appcontext
def load() -> None:
    """Load the demo company, halls, staff and accounts (again: changes nothing)."""
    from surveyapp.demo.loader import discover

    _require_demo()
    for loader in discover():
        try:
            summary = loader.load(db.session)
        except ValidationError as exc:
            db.session.rollback()
            raise click.ClickException(f"demo {loader.name}: {exc.message} {' '.join(exc.errors)}") from exc
        db.session.commit()
        click.echo(f"demo {loader.name}: {summary}")


@demo_group.command("logins")
@with_appcontext
def logins() -> None:
    """Print the demo accounts with their password and role."""
    from surveyapp.demo.data import DEMO_PASSWORD, users

    _require_demo()
    click.echo(f"  {'username':<10} {'password':<10} {'role':<20} name")
    for user in users():
        role = user.role + (" (social)" if user.external else "")
        click.echo(f"  {user.username:<10} {DEMO_PASSWORD:<10} {role:<20} {user.display_name}")
