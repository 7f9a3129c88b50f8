"""Where photos live: the photo store out of reach answers a retryable 503 and stores nothing half; the
sweep removes only old files no row references; ``flask photos migrate`` copies the folder into the
bucket, verifying every SHA-256, and can be run again."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from surveyapp import photos
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.visits.models import Photo
from tests.conftest import jpeg_bytes
from tests.test_outage import CuttableProxy
from tests.visits.conftest import english


@pytest.fixture
def store_proxy(app_config, s3_storage_url):
    """The app reaches its bucket through a proxy the test can cut (ask for it before ``app``)."""
    endpoint = urlsplit(s3_storage_url.split("endpoint=")[1].split("&")[0])
    proxy = CuttableProxy(endpoint.hostname, endpoint.port)
    app_config["PHOTO_STORAGE_URL"] = s3_storage_url.replace(f"{endpoint.hostname}:{endpoint.port}", f"127.0.0.1:{proxy.port}")
    yield proxy
    proxy.close()


def _upload(client, visit, client_id, item="appearance.uniform"):
    return client.post(f"/my/visits/{visit.uid}/photos", headers={"Accept": "application/json"},
                       data={"file": (io.BytesIO(jpeg_bytes()), "IMG_1.JPG"), "item": item,
                             "client_id": client_id})


def test_an_unreachable_store_answers_a_retryable_503_and_the_resent_photo_is_kept(
        store_proxy, app, client, make_hall, make_user, make_visit, login):
    hall = make_hall()
    supervisor = login(make_user(Role.SUPERVISOR, units=[hall.unit]))
    visit = make_visit(hall, "unannounced", supervisor, status="in_progress", photos=False)
    english(client)
    assert _upload(client, visit, str(uuid.uuid4())).status_code == 201

    store_proxy.cut()
    resent = str(uuid.uuid4())
    response = _upload(client, visit, resent)
    assert response.status_code == 503 and response.headers["Retry-After"] == "15"
    assert "Photos cannot be stored or read at the moment" in response.json["error"]
    assert db.session.scalar(sa.select(Photo).where(Photo.client_id == resent)) is None
    assert client.get(f"/my/visits/{visit.uid}").status_code == 200, "the page itself still works"

    store_proxy.restore()
    assert _upload(client, visit, resent).status_code == 201
    assert _upload(client, visit, resent).status_code == 200, "a second resend finds the first"
    rows = db.session.scalars(sa.select(Photo).where(Photo.visit_id == visit.id)).all()
    assert len(rows) == 2
    for row in rows:  # every row's photo is in the bucket, whole
        with photos.open_photo(row.key) as f:
            assert hashlib.sha256(f.read()).hexdigest() == row.sha256
        assert client.get(f"/visits/photos/{row.uid}").status_code == 200


def test_the_sweep_removes_only_old_files_no_row_references(photo_storage, app, runner, make_visit, make_photo):
    visit = make_visit(status="in_progress", photos=False)
    kept = {make_photo(visit, None).key, make_photo(visit, "appearance.uniform").key}
    orphans = {photos.save_photo(jpeg_bytes()).key for _ in range(2)}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)

    assert photos.sweep(db.session, dt.datetime.now(dt.UTC)) == [], "a young file may still be waiting for its row"
    listed = photos.sweep(db.session, later, dry_run=True)
    assert sorted(listed) == sorted(photos._name(k, t) for k in orphans for t in (False, True))
    assert set(photos.stored_keys()) == kept | orphans, "a dry run removes nothing"
    result = runner.invoke(args=["photos", "sweep", "--dry-run"])
    assert result.exit_code == 0 and "0 file(s) would be removed" in result.output

    assert photos.sweep(db.session, later) == listed
    assert set(photos.stored_keys()) == kept
    for key in kept:
        with photos.open_photo(key, thumbnail=True):
            pass


def test_migrate_copies_the_folder_into_the_bucket_verifying_each_file_and_can_run_again(
        app, make_app, make_visit, make_photo, s3_storage_url):
    visit = make_visit(status="in_progress", photos=False)
    keys = {p.key: p.sha256 for p in (make_photo(visit, None), make_photo(visit, None))}
    bucket_app = make_app(PHOTO_STORAGE_URL=s3_storage_url)
    runner = bucket_app.test_cli_runner()
    with bucket_app.app_context():  # the commands run in the app context they find
        result = runner.invoke(args=["photos", "migrate"])
        assert result.exit_code == 0, result.output
        assert f"{2 * len(keys)} file(s) copied and verified, 0 already there" in result.output
        for key, sha256 in keys.items():
            with photos.open_photo(key) as f:
                assert hashlib.sha256(f.read()).hexdigest() == sha256
        # A copy damaged in the bucket (or an interrupted run) is copied again on the next run.
        first, first_sha256 = next(iter(keys.items()))
        photos.store().put(photos._name(first), b"not the photo")

        again = runner.invoke(args=["photos", "migrate"])
        assert again.exit_code == 0, again.output
        assert f"1 file(s) copied and verified, {2 * len(keys) - 1} already there and verified" in again.output
        with photos.open_photo(first) as f:
            assert hashlib.sha256(f.read()).hexdigest() == first_sha256
    assert sorted(photos.stored_keys()) == sorted(keys), "the folder is left as it was"

    same = app.test_cli_runner().invoke(args=["photos", "migrate"])
    assert same.exit_code == 1 and "no other store" in same.output
