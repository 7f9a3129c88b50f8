"""The database goes away for a while: pages answer the app's own 503 (both languages, security headers,
``Retry-After``), JSON callers get JSON, anonymous pages still work, nothing typed on the phone is lost, and
the same session works again once the database is back, without a restart.

On PostgreSQL the app talks to the server through a small TCP proxy of the test's own, which the test cuts
(every connection dropped, new ones refused) and restores; the shared server itself is never stopped. On
SQLite the database's folder is moved away, so the file cannot be opened, and moved back.
"""
from __future__ import annotations

import shutil
import socket
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.auth.access import public
from surveyapp.auth.models import Role
from surveyapp.db import database_unavailable, db
from surveyapp.errors import ValidationError
from surveyapp.visits.models import Visit
from tests.visits.conftest import english


class CuttableProxy:
    """Forwards TCP connections to the database server until cut; while cut, drops every open connection
    and closes each new one at once, as a stopped server does."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # the listener was closed: the test is over
                return
            if not self.up:
                client.close()
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._drop(source, sink)

    def _drop(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            with self.lock:
                if sock not in self.open:
                    continue
                self.open.discard(sock)
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def cut(self) -> None:
        self.up = False
        with self.lock:
            sockets = list(self.open)
        self._drop(*sockets)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


class Outage:
    """Cut and restore the app's database, whichever backend the suite runs on."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        url = sa.make_url(database_url)
        self.proxy: CuttableProxy | None = None
        if url.get_backend_name() == "postgresql":
            self.proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
            self.url = url.set(host="127.0.0.1", port=self.proxy.port).render_as_string(hide_password=False)
        else:
            # A copy of the migrated database in a folder of this test's own, which can be moved away.
            self.folder = tmp_path / "db"
            self.folder.mkdir()
            source = sqlite3.connect(url.database or "")
            copy = sqlite3.connect(self.folder / "test.sqlite")
            source.backup(copy)
            source.close()
            copy.close()
            self.url = f"sqlite:///{self.folder / 'test.sqlite'}"

    def cut(self) -> None:
        db.session.close()  # the test's own session (its objects stay usable, detached)
        if self.proxy:
            self.proxy.cut()
            return
        # SQLite keeps an open file usable, so the app's connections are closed first (the server's restart).
        db.engine.dispose()
        self.folder.rename(self.folder.with_name("db-away"))

    def restore(self) -> None:
        if self.proxy:
            self.proxy.restore()
        elif not self.folder.exists():
            self.folder.with_name("db-away").rename(self.folder)

    def close(self) -> None:
        self.restore()
        if self.proxy:
            self.proxy.close()
        else:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def outage(database_url: str, tmp_path: Path) -> Any:
    cuttable = Outage(database_url, tmp_path)
    yield cuttable
    cuttable.close()


@pytest.fixture
def app_config(app_config: dict[str, Any], outage: Outage) -> dict[str, Any]:
    return {**app_config, "DATABASE_URL": outage.url}


def assert_unavailable_page(response: Any) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.mimetype == "text/html"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    page = response.get_data(as_text=True)
    assert "服务暂时不可用" in page and "Service briefly unavailable" in page
    assert 'lang="zh-CN"' in page and 'lang="en"' in page
    assert "Traceback" not in page and "Internal Server Error" not in page


def test_logged_in_pages_answer_503_while_the_database_is_away_and_recover(
    app, client, outage, make_hall, make_user, make_visit, login
):
    hall = make_hall("H100", "人民路营业厅")
    supervisor = login(make_user(Role.SUPERVISOR, units=[hall.unit]))
    english(client)
    visit = make_visit(hall, "unannounced", supervisor, status="in_progress")
    uid = visit.uid
    assert client.get("/my/visits").status_code == 200

    outage.cut()
    try:
        assert_unavailable_page(client.get("/my/visits"))
        # The phone's autosave is told, in JSON and in the session's language, to try again later.
        draft = client.post(f"/my/visits/{uid}/draft", json={"fields": [["conduct.farewell", "fail"]]},
                            headers={"Accept": "application/json"})
        assert draft.status_code == 503 and draft.headers["Retry-After"].isdigit()
        assert draft.is_json and "database cannot be reached" in draft.get_json()["error"]
        # A page that does not exist, for a logged-in user: its menu would need the database too.
        assert_unavailable_page(client.get("/no-such-page"))
        # Anonymous pages that need no database keep working.
        anonymous = app.test_client()
        login_page = anonymous.get("/login")
        assert login_page.status_code == 200 and 'name="password"' in login_page.get_data(as_text=True)
        with anonymous.get("/static/css/app.css") as style:
            assert style.status_code == 200
        # Logging in needs the database: the same 503, not a crash.
        assert_unavailable_page(anonymous.post("/login", data={"username": "x", "password": "y"}))
    finally:
        outage.restore()

    # Back without a restart: the same session, and the draft the phone resends is kept.
    assert client.get("/my/visits").status_code == 200
    resent = client.post(f"/my/visits/{uid}/draft", json={"fields": [["conduct.farewell", "fail"]]},
                         headers={"Accept": "application/json"})
    assert resent.status_code == 200, resent.get_data(as_text=True)
    assert ["conduct.farewell", "fail"] in db.session.scalar(sa.select(Visit).filter_by(uid=uid)).draft["fields"]


def test_the_503_page_speaks_chinese_by_default_and_to_json_callers(app, client, outage, login_as):
    login_as(Role.MARKET)
    outage.cut()
    try:
        assert_unavailable_page(client.get("/"))
        answer = client.get("/", headers={"Accept": "application/json"})
        assert answer.status_code == 503 and "数据库" in answer.get_json()["error"]
    finally:
        outage.restore()
    assert client.get("/").status_code in (200, 302)


def _operational(orig: BaseException) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, orig)


def test_only_errors_that_mean_unreachable_count_as_unavailable():
    import psycopg

    refused = psycopg.OperationalError("connection failed: Connection refused")
    assert database_unavailable(_operational(refused))
    shutdown = psycopg.errors.AdminShutdown("terminating connection due to administrator command")
    assert database_unavailable(_operational(shutdown))
    assert database_unavailable(sa.exc.InterfaceError("SELECT 1", {}, psycopg.InterfaceError("connection is closed")))
    assert database_unavailable(sa.exc.TimeoutError("QueuePool limit reached"))
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY
    assert database_unavailable(_operational(locked))

    # Mistakes in a query or in the data are bugs (500), not "try again later".
    assert not database_unavailable(_operational(psycopg.errors.QueryCanceled("statement timeout")))
    assert not database_unavailable(_operational(psycopg.errors.UndefinedTable("relation does not exist")))
    no_table = sqlite3.OperationalError("no such table: visit")
    no_table.sqlite_errorcode = sqlite3.SQLITE_ERROR
    assert not database_unavailable(_operational(no_table))
    assert not database_unavailable(sa.exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("dup")))
    assert not database_unavailable(sa.exc.InterfaceError("SELECT 1", {}, sqlite3.InterfaceError("bad parameter")))
    assert not database_unavailable(ValueError("no database here"))


def test_a_failing_rollback_in_error_handling_still_answers_with_the_app_page(make_app):
    """An error in a view, then a rollback that fails too (the connection went away meanwhile): the user
    gets the app's error page, not the server's bare one."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom/<kind>")
    @public
    def boom(kind: str) -> Any:
        db.session.execute(sa.text("SELECT 1"))  # the request's session holds a connection
        db.session.rollback = _failing_rollback  # type: ignore[method-assign]
        raise ValidationError("refused") if kind == "domain" else RuntimeError("bug")

    client = app.test_client()
    domain = client.get("/boom/domain", headers={"Accept": "application/json"})
    assert domain.status_code == 400 and domain.get_json()["error"] == "refused"
    bug = client.get("/boom/bug")
    assert bug.status_code == 500 and "Content-Security-Policy" in bug.headers
    assert "系统出现错误，已记录" in bug.get_data(as_text=True)


def _failing_rollback() -> None:
    raise sa.exc.OperationalError("ROLLBACK", {}, sqlite3.OperationalError("disk I/O error"))


@pytest.mark.browser
def test_the_phone_keeps_answers_and_photos_through_a_503_and_sends_them_after(
    new_page, outage, make_hall, make_user, make_visit
):
    """The database goes away while a supervisor answers on the phone: the server answers 503, the page
    keeps the answer and the photo on the phone (a 503 is "later", not a refusal), and sends both once the
    database is back."""
    from surveyapp.visits.models import Photo
    from tests.browser import fits_width, log_in
    from tests.conftest import jpeg_bytes

    hall = make_hall("H0103", "解放路营业厅")
    supervisor = make_user(Role.SUPERVISOR, units=[hall.unit])
    visit = make_visit(hall, "unannounced", supervisor, status="in_progress")
    page = new_page(phone=True)
    log_in(page, supervisor.username)
    page.goto(f"/my/visits/{visit.uid}")
    page.click("#mode-switch button[data-mode=long]")

    outage.cut()
    try:
        page.locator('label.opt:has(> input[name="conduct.farewell"][value="fail"])').click()
        page.set_input_files('input[name="appearance.uniform.photos"]', files=[
            {"name": "IMG_0003.JPG", "mimeType": "image/jpeg", "buffer": jpeg_bytes(800, 600)}])
        page.wait_for_selector("#fill-status:has-text('服务器暂时不可用')")
        pending = page.locator('[data-photos-for="appearance.uniform"] li.pending .photo-state')
        assert pending.inner_text() == "等待网络"  # still queued, not "could not be uploaded"
        other = page.context.new_page()  # another page meanwhile: the app's own 503 page, fit for a phone
        assert other.goto("/my/visits").status == 503
        assert "服务暂时不可用" in other.inner_text("h1") and fits_width(other)
        other.close()
    finally:
        outage.restore()

    page.evaluate("window.dispatchEvent(new Event('online'))")  # as when the phone retries by itself
    page.wait_for_selector('[data-photos-for="appearance.uniform"] li[data-photo]')
    page.wait_for_selector("#fill-status:has-text('已于')")  # "saved at ..."
    db.session.expire_all()
    assert ["conduct.farewell", "fail"] in db.session.get(Visit, visit.id).draft["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo).where(Photo.visit_id == visit.id)) == 1
