"""Alembic environment: runs against the app's database with the models' metadata."""
from __future__ import annotations

from alembic import context

import surveyapp.models  # noqa: F401  (registers every table)
from surveyapp.db import Model

config = context.config
target_metadata = Model.metadata


def _engine():
    app = config.attributes.get("app")
    if app is None:
        from surveyapp import create_app

        app = create_app()
    with app.app_context():
        from surveyapp.db import db

        return db.engine


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with _engine().connect() as connection:
        _run(connection)


def _run(connection) -> None:
    # SQLite cannot ALTER most things: batch mode rebuilds the table instead.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
