"""``flask users ...``: accounts from the command line."""
from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from surveyapp.auth import services as auth_services
from surveyapp.auth.models import Role, User
from surveyapp.bulk_cli import export_command, import_command
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.users import (
    imports,  # noqa: F401  (registers the users file format)
    services,
)


@click.group("users")
def users_group() -> None:
    """User accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--email", default=None)
@click.option("--hall", "halls", multiple=True, help="Hall code (hall managers; repeatable).")
@click.option("--unit", "units", multiple=True, help="Unit code a supervisor covers (repeatable).")
@click.option("--external", is_flag=True, help="A social supervisor from outside the company.")
@click.password_option(help="Password (asked for when not given).")
@with_appcontext
def create(username: str, display_name: str, role: str, email: str | None, halls: tuple[str, ...],
           units: tuple[str, ...], external: bool, password: str) -> None:
    """Create an account (the first administrator is made this way)."""
    try:
        user = services.create_user(db.session, None, username=username, display_name=display_name, role=role,
                                    email=email, password=password, external=external, hall_codes=halls, unit_codes=units)
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"created {user.username} ({user.role.value})")


@users_group.command("set-password")
@click.argument("username")
@click.password_option()
@with_appcontext
def set_password(username: str, password: str) -> None:
    """Set a user's password; their sessions end."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    try:
        services.reset_password(db.session, None, user, password)
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"password set for {user.username}")


@users_group.command("prune")
@with_appcontext
def prune() -> None:
    """Delete login attempts and ended sessions older than LOGIN_RECORDS_DAYS (run it daily from cron)."""
    config = current_app.config
    attempts, sessions = auth_services.prune_login_records(
        db.session, dt.timedelta(days=config["LOGIN_RECORDS_DAYS"]), **auth_services.session_limits(config))
    db.session.commit()
    click.echo(f"deleted {attempts} login attempts and {sessions} ended sessions")


import_command(users_group, "import", "users",
               "Import accounts (username, display_name, role, halls, email) from CSV or XLSX, all or nothing; "
               "existing usernames are updated. Imported accounts have no password until one is set.")
export_command(users_group, "export", "users", "Export every account to an XLSX file (importable again; no passwords).")
