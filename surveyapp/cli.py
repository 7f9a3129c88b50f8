"""Command-line entry points: ``flask --app surveyapp ...`` or the ``surveyapp`` script."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from surveyapp import migrate
from surveyapp.bulk_cli import lang_option
from surveyapp.locks import command_lock
from surveyapp.terminal import language


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


@click.group("pdf")
def pdf_group() -> None:
    """PDF rendering."""


@pdf_group.command("fonts")
@click.option("--force", is_flag=True, help="Build again even if the files are there.")
@lang_option
@with_appcontext
def pdf_fonts(force: bool, lang: str | None) -> None:
    """Build the print font (Noto Sans CJK SC cut down to GB 2312): PDFs render faster with it."""
    from surveyapp import print_font

    with force_locale(language(lang)):
        try:
            built = print_font.build(current_app._get_current_object(), force=force)  # type: ignore[attr-defined]
        except print_font.PrintFontError as exc:
            raise click.ClickException(str(exc)) from exc
        for face in built:
            facts = {"file": face.path, "glyphs": face.glyphs, "size": f"{face.size / 2**20:.1f}"}
            click.echo(_("%(file)s: built (%(glyphs)s glyphs, %(size)s MB)", **facts) if face.new
                       else _("%(file)s: up to date (%(glyphs)s glyphs, %(size)s MB)", **facts))


#: Every command group, as ``module:attribute``, one line each.
COMMAND_GROUPS = (
    "surveyapp.users.cli:users_group",
    "surveyapp.org.cli:org_group",
    "surveyapp.checklists.cli:forms_group",
    "surveyapp.demo.cli:demo_group",
    "surveyapp.visits.cli:visits_group",
    "surveyapp.feedback.cli:feedback_group",
    "surveyapp.insight.cli:calibration_command",
    "surveyapp.insight.cli:integrity_command",
    "surveyapp.photos_cli:photos_group",
    "surveyapp.jobs.cli:jobs_group",
    "surveyapp.notices.cli:notices_group",
)


#: Commands that do not touch the database (they run before it exists).
NO_SCHEMA = frozenset({"forms check"})

#: Commands cron may start on every app server at the same time: each runs under a lock of its own name
#: (:func:`surveyapp.locks.command_lock`), so a second start waits for the first and then finds the work done.
ONE_AT_A_TIME = frozenset({"feedback remind", "feedback sync", "users prune", "photos sweep"})


def needs_schema(command: click.Command, path: str = "") -> click.Command:
    """Make ``command`` (for a group: each of its commands but those in :data:`NO_SCHEMA`) refuse to run,
    with one clear line instead of a database traceback, while the database is not at this code's newest
    migration."""
    path = f"{path} {command.name}".strip()
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            needs_schema(sub, path)
        return command
    if path in NO_SCHEMA or getattr(command, "_surveyapp_checked", False):
        return command  # every app made in a process registers the same command objects: wrap them once
    command._surveyapp_checked = True  # type: ignore[attr-defined]
    invoke = command.invoke

    def checked(ctx: click.Context) -> object:
        app = ctx.ensure_object(ScriptInfo).load_app()
        asked = next((c.params["lang"] for c in (ctx, *_parents(ctx)) if c.params.get("lang")), None)
        languages = app.config["LANGUAGES"]
        with app.app_context(), force_locale(asked if asked in languages else languages[0]):
            problem = migrate.schema_problem(app)
        if problem:
            raise click.ClickException(problem)
        if path not in ONE_AT_A_TIME:
            return invoke(ctx)
        with app.app_context(), command_lock(path):
            return invoke(ctx)

    command.invoke = checked  # type: ignore[method-assign]
    return command


def _parents(ctx: click.Context) -> list[click.Context]:
    out = []
    while ctx.parent is not None:
        ctx = ctx.parent
        out.append(ctx)
    return out


def init_app(app: Flask) -> None:
    from importlib import import_module

    from surveyapp.assessment.cli import assess_command, policy_group

    app.cli.add_command(db_group)
    app.cli.add_command(pdf_group)
    commands = [getattr(import_module(module), attribute)
                for module, attribute in (spec.split(":") for spec in COMMAND_GROUPS)]
    for command in (*commands, policy_group, assess_command):
        app.cli.add_command(needs_schema(command))


def main() -> None:
    """The ``surveyapp`` console script: the Flask CLI bound to this app."""
    from surveyapp import create_app

    FlaskGroup(create_app=create_app)()
