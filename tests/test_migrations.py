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


def test_commands_on_a_database_not_yet_migrated_say_what_to_do(tmp_path, make_app):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask` gives every command
        result = runner.invoke(args=["forms", "list"])
        assert result.exit_code == 1
        assert "数据库还没有任何表" in result.output and "flask db upgrade" in result.output
        assert "Traceback" not in result.output
        # Checking checklist files needs no database.
        assert runner.invoke(args=["forms", "check"]).exit_code == 0
        assert runner.invoke(args=["db", "upgrade", "0003_visits"]).exit_code == 0
        result = runner.invoke(args=["assess", "2026-11", "--lang", "en"])
        assert result.exit_code == 1
        assert "at revision 0003_visits but this version of surveyapp needs" in result.output
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        assert runner.invoke(args=["forms", "list"]).exit_code == 0
