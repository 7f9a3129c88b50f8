"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from surveyapp.db import Model, db


def test_models_and_migrations_agree(app):
    # The test database was created by running every migration from empty (see conftest).
    import surveyapp.models  # noqa: F401

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Model.metadata)
    assert diff == [], f"models and migrations differ; write a migration (flask db revision -m ...): {diff}"


def test_upgrade_from_empty_via_cli(tmp_path, make_app):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at revision" in result.output
    result = app.test_cli_runner().invoke(args=["db", "current"])
    assert result.output.strip() not in ("", "empty")
