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


def test_a_checklist_versions_first_existence_is_backfilled_from_what_is_known(tmp_path, make_app):
    import datetime as dt

    import sqlalchemy as sa

    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'old.sqlite'}")
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["db", "upgrade", "0014_trends"]).exit_code == 0
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO checklist (id, slug, title, created_at) "
                                 "VALUES (1, 'f', '表', '2026-11-01 00:00:00')"))
            version = ("INSERT INTO checklist_version (id, checklist_id, version, title, definition, source, "
                       "source_sha256, source_name, loaded_at, frozen_at) VALUES "
                       "(:id, 1, :id, '表', '{}', '', '', 'f.toml', :loaded, NULL)")
            # Version 1 reloaded on the 20th after a first load on the 5th (the audit trail remembers it);
            # version 2 loaded once, on the 12th.
            conn.execute(sa.text(version), [{"id": 1, "loaded": "2026-11-20 08:00:00"},
                                            {"id": 2, "loaded": "2026-11-12 08:00:00"}])
            conn.execute(sa.text("INSERT INTO audit_entry (at, action, object_type, object_id) VALUES "
                                 "('2026-11-05 08:00:00', 'checklist.load', 'checklist_version', '1'), "
                                 "('2026-11-20 08:00:00', 'checklist.reload', 'checklist_version', '1')"))
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        from surveyapp.checklists.models import ChecklistVersion

        first = dict(db.session.execute(sa.select(ChecklistVersion.id, ChecklistVersion.first_loaded_at)).all())
        assert first == {1: dt.datetime(2026, 11, 5, 8, tzinfo=dt.UTC), 2: dt.datetime(2026, 11, 12, 8, tzinfo=dt.UTC)}
