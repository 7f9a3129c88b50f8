"""Alembic, driven from the app: the migrations folder travels with the package."""
from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from flask import Flask

from surveyapp.resources import resource_dir


def alembic_config(app: Flask) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    config.attributes["app"] = app
    return config


def upgrade(app: Flask, revision: str = "head") -> None:
    with app.app_context():
        command.upgrade(alembic_config(app), revision)


def revision(app: Flask, message: str) -> None:
    """Write a new migration from the difference between the models and the database (developers)."""
    with app.app_context():
        command.revision(alembic_config(app), message=message, autogenerate=True)


def current_revision(app: Flask) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from surveyapp.db import db

    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(app: Flask) -> str | None:
    """The newest migration this code ships."""
    return _head_of(str(resource_dir("migrations")))


@functools.cache
def _head_of(script_location: str) -> str | None:
    # Alembic finds the head by importing every migration file; the files do not change while a process
    # runs, and every CLI command asks (the schema check), so the answer is kept.
    from alembic.script import ScriptDirectory

    return ScriptDirectory(script_location).get_current_head()


def schema_problem(app: Flask) -> str | None:
    """Why the database cannot serve this code (not created, or older than the code), or None when it can."""
    from flask_babel import gettext as _

    current, head = current_revision(app), head_revision(app)
    if current == head:
        return None
    if current is None:
        return _("The database has no tables yet: run `flask db upgrade` first.")
    return _("The database is at revision %(current)s but this version of surveyapp needs %(head)s: "
             "run `flask db upgrade` first.", current=current, head=head)
