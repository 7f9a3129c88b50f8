"""Command-line entry points: ``flask --app surveyapp ...`` or the ``surveyapp`` script."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from surveyapp import migrate


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Create or upgrade the database schema."""
    migrate.upgrade(current_app._get_current_object(), revision)  # type: ignore[attr-defined]
    click.echo(f"database at revision {migrate.current_revision(current_app._get_current_object())}")  # type: ignore[attr-defined]


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration for model changes (upgrade the database to head first)."""
    migrate.revision(current_app._get_current_object(), message)  # type: ignore[attr-defined]


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the schema revision of the database."""
    click.echo(migrate.current_revision(current_app._get_current_object()) or "empty")  # type: ignore[attr-defined]


#: Every command group, as ``module:attribute``, one line each.
COMMAND_GROUPS = (
    "surveyapp.auth.cli:users_group",
    "surveyapp.org.cli:org_group",
    "surveyapp.checklists.cli:forms_group",
    "surveyapp.demo.cli:demo_group",
    "surveyapp.feedback.cli:feedback_group",
)


def init_app(app: Flask) -> None:
    from importlib import import_module

    app.cli.add_command(db_group)
    for spec in COMMAND_GROUPS:
        module, attribute = spec.split(":")
        app.cli.add_command(getattr(import_module(module), attribute))

    from surveyapp.assessment.cli import assess_command, policy_group

    app.cli.add_command(policy_group)
    app.cli.add_command(assess_command)


def main() -> None:
    """The ``surveyapp`` console script: the Flask CLI bound to this app."""
    from surveyapp import create_app

    FlaskGroup(create_app=create_app)()
