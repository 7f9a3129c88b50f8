"""``flask photos``: move the upload folder's photos into the bucket, and sweep files no row references."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from surveyapp import photos
from surveyapp.db import db
from surveyapp.errors import Unavailable
from surveyapp.photo_store import StoreUnavailable
from surveyapp.terminal import progress_bar


@click.group("photos")
def photos_group() -> None:
    """Photo storage: migrate the upload folder to the bucket, sweep orphaned files."""


@photos_group.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Copy every photo in UPLOAD_FOLDER/photos to the store PHOTO_STORAGE_URL names, verifying each SHA-256
    (safe to run again: files already copied are checked and skipped; the folder is left as it was)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        with progress_bar({"copy": "Copying photos"}) as progress:
            result = photos.migrate_folder(app, progress)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    except StoreUnavailable as exc:
        raise click.ClickException(f"the photo store cannot be reached ({exc}); run the command again later") from exc
    click.echo(f"{result.copied} file(s) copied and verified, {result.already} already there and verified, "
               f"to {photos.store(app).describe()}")
    if result.mismatched:
        for name in result.mismatched:
            click.echo(f"SHA-256 differs after copying: {name}", err=True)
        raise click.ClickException(f"{len(result.mismatched)} file(s) did not verify; run the command again")


@photos_group.command("sweep")
@click.option("--dry-run", is_flag=True, help="Only list the files that would be removed.")
@with_appcontext
def sweep_command(dry_run: bool) -> None:
    """Remove stored photo files that no row references and that are more than a day old."""
    try:
        removed = photos.sweep(db.session, dt.datetime.now(dt.UTC), dry_run=dry_run)
    except Unavailable as exc:
        raise click.ClickException(str(exc.message)) from exc
    for name in removed:
        click.echo(name)
    click.echo(f"{len(removed)} file(s) {'would be removed' if dry_run else 'removed'}")
