"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL when SURVEYAPP_TEST_DATABASE_URL
is set), a client that sends CSRF tokens like a browser, ``login_as``, factories, and a live server
with a real Chromium for browser tests."""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from itsdangerous import URLSafeTimedSerializer

from surveyapp import create_app
from surveyapp.auth import services as auth_services
from surveyapp.auth.models import Role, User
from surveyapp.db import Model, db
from surveyapp.org.models import Hall, HallType, Staff, Unit
from surveyapp.users import services as users_services

PASSWORD = "correct horse battery"

# Property tests check behaviour, not speed: no per-example deadline (the machine is shared and busy).
hypothesis_settings.register_profile("surveyapp", deadline=None, print_blob=True)
hypothesis_settings.load_profile("surveyapp")

#: argon2id at its lowest cost, for the tests only. The production parameters (RFC 9106's low-memory profile:
#: 64 MiB, 3 passes) take about 0.2 s of this machine's CPU per hash, and hashing was a third of the suite's
#: time. The algorithm and every code path stay the same; tests/auth/test_login.py checks the real parameters.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
REAL_HASHER = auth_services._hasher


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth_services, "_hasher", TEST_HASHER)
        yield


# --- database --------------------------------------------------------------------------------------


def _postgres_for_worker(base_url: str, worker: str) -> str:
    """A database of this checkout's and this xdist worker's own, created afresh on the base URL's server
    (two checkouts testing at once on one server do not collide)."""
    url = sa.make_url(base_url)
    checkout = hashlib.sha1(str(Path(__file__).resolve().parent).encode()).hexdigest()[:6]
    name = f"{url.database}_{checkout}_{worker}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """A database migrated to head once per test session (per xdist worker)."""
    base = os.environ.get("SURVEYAPP_TEST_DATABASE_URL")
    if base:
        url = _postgres_for_worker(base, worker_id)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    from surveyapp.migrate import upgrade

    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "JOBS_URL": "immediate"})
    upgrade(app)
    dispose_engine(app)
    return url


def dispose_engine(app: Flask) -> None:
    """Close the pooled connections of an app's engine (psycopg warns about connections left to GC)."""
    app.extensions["surveyapp.db"][0].dispose()


def _empty_all_tables() -> None:
    """Delete every row, children first, and restart PostgreSQL's id sequences, in one round trip.

    (``TRUNCATE`` of every table cost 0.2 s a test on PostgreSQL, a fifth of the suite's time there;
    deleting the few rows a test leaves takes milliseconds.)"""
    tables = list(reversed(Model.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            sequences = conn.scalars(sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"))
            # Migration 0008's trigger lets only a maintenance transaction delete published notice revisions.
            script = ["SET LOCAL surveyapp.maintenance = 'on'"] + [f'DELETE FROM "{t.name}"' for t in tables] + [f'ALTER SEQUENCE "{s}" RESTART' for s in sequences]
            conn.exec_driver_sql("; ".join(script))
        else:
            for table in tables:
                conn.execute(table.delete())


class CSRFClient(FlaskClient):
    """A test client that sends the session's CSRF token with every state-changing request, as the
    pages do (``csrf=False`` sends none), and serves each request in a context of its own, as a
    server would, even though the test itself holds an application context."""

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if not raw:
                raw = sess["csrf_token"] = os.urandom(20).hex()
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"} and not kwargs.get("buffered_request"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app_config(database_url: str, tmp_path: Any) -> dict[str, Any]:
    """Configuration for the test app; tests may change it before asking for ``app``."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # No print font: PDFs embed the installed Noto Sans CJK SC (tests/test_print_font.py builds one).
        "PDF_FONT_FOLDER": str(tmp_path / "fonts"),
        "DEMO": False,
        # Jobs run at once, in the request that starts them (tests/jobs runs them on real queues).
        "JOBS_URL": "immediate",
    }


# --- photo storage: the upload folder, or an S3 bucket on a local moto server ------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server in a process of its own, once per test session, with the test bucket."""
    from tests import s3

    with s3.moto_server() as endpoint:
        s3.make_bucket(endpoint)
        yield endpoint


@pytest.fixture
def s3_storage_url(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A ``PHOTO_STORAGE_URL`` of an empty prefix in the moto bucket, with credentials in the environment."""
    from tests import s3

    for name, value in s3.ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    return s3.storage_url(moto_endpoint)


@pytest.fixture(params=["folder", "s3"])
def photo_storage(request: pytest.FixtureRequest, app_config: dict[str, Any]) -> str:
    """Run the test once with photos in the upload folder and once in a bucket (ask for it before ``app``)."""
    if request.param == "s3":
        app_config["PHOTO_STORAGE_URL"] = request.getfixturevalue("s3_storage_url")
    return request.param


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """The app on an empty database (every table emptied before the test)."""
    app = create_app(app_config)
    app.test_client_class = CSRFClient
    with app.app_context():
        _empty_all_tables()
        yield app
        db.session.rollback()
        db.engine.dispose()


@pytest.fixture
def make_app(app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """Build further apps on the test database with changed settings (their engines are closed after)."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app({**app_config, **overrides})
        app.test_client_class = CSRFClient
        made.append(app)
        return app

    yield make
    for app in made:
        dispose_engine(app)


@pytest.fixture
def client(app: Flask) -> CSRFClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------------------------------


@pytest.fixture
def make_unit(app: Flask) -> Callable[..., Unit]:
    counter = iter(range(1, 10**6))

    def make(code: str | None = None, name: str | None = None, parent: Unit | None = None) -> Unit:
        n = next(counter)
        unit = Unit(code=code or f"U{n:03d}", name=name or f"测试分公司{n}", parent=parent)
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_hall(app: Flask, make_unit: Callable[..., Unit]) -> Callable[..., Hall]:
    counter = iter(range(1, 10**6))
    default_unit: list[Unit] = []

    def make(code: str | None = None, name: str | None = None, unit: Unit | None = None,
             type: HallType | str = HallType.SELF_RUN, active: bool = True) -> Hall:
        n = next(counter)
        if unit is None:
            if not default_unit:
                default_unit.append(make_unit())
            unit = default_unit[0]
        from surveyapp import clock

        hall = Hall(code=code or f"H{n:04d}", name=name or f"测试营业厅{n}", unit=unit, type=HallType(type), active=active,
                    created_at=clock.now())
        db.session.add(hall)
        db.session.commit()
        return hall

    return make


@pytest.fixture
def make_staff(app: Flask) -> Callable[..., Staff]:
    counter = iter(range(1, 10**6))

    def make(hall: Hall, job_number: str | None = None, name: str | None = None) -> Staff:
        n = next(counter)
        staff = Staff(job_number=job_number or f"{9000 + n}", name=name or f"营业员{n}", hall=hall)
        db.session.add(staff)
        db.session.commit()
        return staff

    return make


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10**6))

    def make(role: Role | str = Role.MARKET, username: str | None = None, password: str | None = PASSWORD,
             halls: list[Hall] = (), units: list[Unit] = (), external: bool = False, **extra: Any) -> User:
        role = Role(role)
        n = next(counter)
        user = users_services.create_user(
            db.session, None, username=username or f"{role.value}{n}", display_name=extra.pop("display_name", f"{role.value} {n}"),
            role=role, password=password, hall_codes=[h.code for h in halls], unit_codes=[u.code for u in units],
            external=external, **extra,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client: CSRFClient) -> Callable[[User], User]:
    """Log ``user`` into ``client`` by opening a server-side session, as the login form does."""

    def do(user: User, into: CSRFClient | None = None) -> User:
        target = into or client
        token = auth_services.open_session(db.session, user, "127.0.0.1", "pytest")
        db.session.commit()
        with target.session_transaction() as sess:
            sess.clear()
            sess["_user_id"] = token
            sess["_fresh"] = True
        user.session_token = token
        return user

    return do


@pytest.fixture
def login_as(make_user: Callable[..., User], make_hall: Callable[..., Hall], login: Callable[[User], User]) -> Callable[..., User]:
    """Create a user of ``role`` (hall managers get a hall) and log the client in as them."""

    def do(role: Role | str, **kwargs: Any) -> User:
        role = Role(role)
        if role is Role.HALL_MANAGER and "halls" not in kwargs:
            kwargs["halls"] = [make_hall()]
        return login(make_user(role, **kwargs))

    return do


# --- checklists ------------------------------------------------------------------------------------


@pytest.fixture
def make_checklist(app: Flask) -> Callable[..., Any]:
    """Load a checklist version into the database and return it (a ``ChecklistVersion``): a shipped form
    (``forms/<name>.toml``) by default, or the TOML ``source`` given; ``frozen=True`` marks it used."""
    from surveyapp.checklists import services as checklist_services
    from surveyapp.checklists.loader import SourceFile
    from surveyapp.resources import resource_dir
    from surveyapp.visits.rules import EARLIEST_VISIT

    def make(name: str = "hall-etiquette", source: str | None = None, frozen: bool = False,
             since: Any = EARLIEST_VISIT) -> Any:
        """``since``: when the version first existed. Tests date their visits freely, so by default the version
        is as old as the oldest visit time accepted; ``since=None`` keeps the moment it was loaded."""
        text = source if source is not None else (resource_dir("forms") / f"{name}.toml").read_text(encoding="utf-8")
        [outcome] = checklist_services.load_sources(db.session, None, [SourceFile(f"forms/{name}.toml", text)])
        if since is not None:
            outcome.version.first_loaded_at = min(outcome.version.first_loaded_at, since)
        if frozen:
            checklist_services.mark_used(db.session, outcome.version)
        db.session.commit()
        return outcome.version

    return make


# --- a live server and a real browser --------------------------------------------------------------


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app served over HTTP on a free port, in a thread; yields its base URL."""
    with serving(app) as url:
        yield url


@contextlib.contextmanager
def serving(wsgi_app: Any) -> Iterator[str]:
    """Serve any WSGI application over HTTP on a free port, in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()  # else the listening socket is closed by the garbage collector, with a warning
        thread.join(5)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium) or apt-get install chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """Open a fresh browser context (desktop by default, ``phone=True`` for 390×844)."""
    contexts: list[Any] = []

    def open_page(phone: bool = False, locale: str = "zh-CN") -> Any:
        options: dict[str, Any] = {"base_url": live_server, "locale": locale}
        if phone:
            options.update(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


# --- foundation: spreadsheet files for import tests -------------------------------------------------


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    """An XLSX workbook whose first sheet holds ``rows`` (the first row is the header)."""
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(data: bytes, sheet: int = 0) -> list[list[Any]]:
    """The cell values of one sheet of an XLSX file, row by row."""
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [list(row) for row in workbook.worksheets[sheet].iter_rows(values_only=True)]
    finally:
        workbook.close()


# --- foundation: what a browser would send back --------------------------------------------------


def form_fields(html: str) -> dict[str, Any]:
    """The values the page's main POST form (the one with most fields) sends when submitted unchanged:
    text inputs, checked boxes, selected options (a list for ``multiple``) and textareas."""
    from html.parser import HTMLParser

    class Parser(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.forms: list[dict[str, Any]] = []
            self.current: dict[str, Any] | None = None
            self.select: tuple[str, bool] | None = None
            self.textarea: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = {k: v or "" for k, v in attrs}
            if tag == "form" and a.get("method", "").lower() == "post":
                self.current = {}
                self.forms.append(self.current)
            elif self.current is None or not a.get("name") and tag != "option":
                return
            elif tag == "input" and a.get("type", "text") not in ("submit", "button", "file", "hidden"):
                if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                    self.current[a["name"]] = a.get("value", "y" if a.get("type") == "checkbox" else "")
            elif tag == "select":
                self.select = (a["name"], "multiple" in a)
                self.current[a["name"]] = [] if "multiple" in a else ""
            elif tag == "option" and self.select and "selected" in a:
                name, multiple = self.select
                if multiple:
                    self.current[name].append(a.get("value", ""))
                else:
                    self.current[name] = a.get("value", "")
            elif tag == "textarea":
                self.textarea = a["name"]
                self.current[a["name"]] = ""

        def handle_data(self, data: str) -> None:
            if self.textarea and self.current is not None:
                self.current[self.textarea] += data

        def handle_endtag(self, tag: str) -> None:
            if tag == "select":
                self.select = None
            elif tag == "textarea":
                self.textarea = None
            elif tag == "form":
                self.current = None

    parser = Parser()
    parser.feed(html)
    return max(parser.forms, key=len) if parser.forms else {}

# --- visits ----------------------------------------------------------------------------------------


def full_marks(version: Any, visit_type: str, hall_type: str, job_numbers: list[str], photos: bool = False) -> dict[str, object]:
    """Answers that pass every applicable scored item (``na`` where a photo is always required, unless
    ``photos``) and name ``job_numbers`` on required staff items."""
    from surveyapp.checklists import scoring
    from surveyapp.checklists.definition import EvidenceRule, ItemKind

    answers: dict[str, object] = {}
    for item in scoring.applicable_items(version.definition, visit_type, hall_type):
        if item.evidence is EvidenceRule.REQUIRED and not photos:
            answers[item.key] = scoring.NA
        elif item.kind is ItemKind.CHECK:
            answers[item.key] = scoring.PASS
        elif item.kind is ItemKind.COUNT:
            answers[item.key] = 0
        elif item.kind is ItemKind.SCALE:
            answers[item.key] = item.points
        elif item.kind is ItemKind.STAFF and item.required:
            answers[item.key] = list(job_numbers)
        elif item.kind is ItemKind.TEXT and item.required:
            answers[item.key] = "无"
    return answers


@pytest.fixture
def make_visit(app: Flask, make_checklist: Callable[..., Any], make_hall: Callable[..., Hall],
               make_user: Callable[..., User], make_staff: Callable[..., Staff],
               make_photo: Callable[..., Any]) -> Callable[..., Any]:
    """A visit made through the visits services, as far as ``status`` says (``planned``, ``in_progress``,
    ``submitted``, ``returned``, ``validated`` (default), ``rejected``, ``cancelled``).

    ``answers`` override full marks item by item (``{"appearance.uniform": "fail"}``); a photo is attached
    wherever the checklist's evidence rules ask for one (``photos=False``: none, and ``na`` where a photo
    is always required); ``visited_at`` (aware)
    decides the month; ``released=True`` also releases a confidential visit. The checklist defaults to
    the shipped one for the type; the supervisor to a new one covering the hall's unit; validation is done
    by a new market user (or ``market``).
    """
    import datetime as dt
    import uuid

    from surveyapp import clock
    from surveyapp.checklists import scoring
    from surveyapp.visits import planning, services, validation
    from surveyapp.visits.content import Content
    from surveyapp.visits.models import Visit, VisitStatus

    def make(hall: Hall | None = None, type: str = "unannounced", supervisor: User | None = None,
             answers: dict[str, object] | None = None, status: str = "validated", visited_at: Any = None,
             checklist: Any = None, remarks: dict[str, str] | None = None, scenario: str = "缴费",
             impression: str = "整体服务规范，营业员态度热情，业务办理高效。", market: User | None = None,
             released: bool = False, due: tuple[Any, Any] | None = None, photos: bool = True) -> Visit:
        hall = hall or make_hall()
        checklist = checklist or make_checklist("social-supervisor" if type == "supervisor" else "hall-etiquette")
        supervisor = supervisor or make_user(Role.SUPERVISOR, units=[hall.unit])
        when = visited_at or clock.now()
        day = clock.local(when).date()
        due_from, due_until = due or (day.replace(day=1), day + dt.timedelta(days=7))
        visit = planning.plan_visit(db.session, None, planning.Plan(hall, checklist, type, supervisor, due_from, due_until))
        if status == "cancelled":
            planning.cancel_visit(db.session, None, visit, None, "测试取消")
        if status not in ("planned", "cancelled"):
            services.start_visit(db.session, supervisor, visit)
        if status in ("submitted", "returned", "validated", "rejected"):
            staff = hall.staff[0] if hall.staff else make_staff(hall)
            given = {**full_marks(visit.checklist_version, type, hall.type.value, [staff.job_number], photos),
                     **(answers or {})}
            definition = visit.checklist_version.definition
            for key, value in given.items():
                if photos and value is not None and scoring.needs_evidence(definition.item(key), value):
                    make_photo(visit, key)
            content = Content(answers={k: v for k, v in given.items() if v is not None}, remarks=remarks or {},
                              staff=(), scenario=scenario, impression=impression, visited_at=when)
            # Submitted when it took place (a supervisor submits at most VISIT_MAX_BACKDATE_DAYS later).
            services.submit_visit(db.session, supervisor, visit, str(uuid.uuid4()), content, submitted_at=when)
            checker = market or make_user(Role.MARKET)
            if status == "returned":
                validation.return_visit(db.session, checker, visit, None, "请补充备注")
            elif status == "rejected":
                validation.reject(db.session, checker, visit, None, "记录不实")
            elif status == "validated":
                # A visit made validated here after its month closed is a late visit the test means to count.
                validation.approve(db.session, checker, visit, None, late_confirmed=True)
                if released:
                    validation.release_visits(db.session, checker, [visit])
        db.session.commit()
        assert visit.status is VisitStatus(status)
        return visit

    return make


def jpeg_bytes(width: int = 640, height: int = 480, color: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A small real JPEG, as a phone camera would send (without EXIF)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@pytest.fixture
def make_photo(app: Flask) -> Callable[..., Any]:
    """A photo attached to an in-progress (or returned) visit through the visits services."""
    import io
    import uuid

    from werkzeug.datastructures import FileStorage

    from surveyapp.visits import evidence

    def make(visit: Any, item_key: str | None, data: bytes | None = None) -> Any:
        upload = FileStorage(io.BytesIO(data or jpeg_bytes()), filename="IMG_0001.JPG", content_type="image/jpeg")
        photo, _ = evidence.add_photo(db.session, visit.supervisor, visit, item_key, str(uuid.uuid4()), upload)
        db.session.commit()
        return photo

    return make


# --- assessment ------------------------------------------------------------------------------------

def scored_form(form_id: str, title: str, title_en: str, *, finding_below: int | None = None) -> str:
    """The head of a checklist file whose form ``form_id`` opens with section ``main`` and its item ``main.score``,
    a 0..100 scale worth 100 points (``finding_below``: the score under which a visit's answer is a finding);
    callers add their own items after it."""
    below = f"finding_below = {finding_below}\n" if finding_below is not None else ""
    return f'''
[form]
id = "{form_id}"
version = 1
title = "{title}"
title_en = "{title_en}"
visit_types = ["announced", "unannounced", "supervisor"]

[[section]]
id = "main"
title = "综合"
title_en = "Overall"

[[section.item]]
id = "score"
text = "综合得分"
text_en = "Overall score"
kind = "scale"
points = 100
{below}'''


#: A checklist whose visit score is simply the answer to ``main.score`` (0..100) when ``main.safety`` is
#: ``na``; ``main.safety`` = ``fail`` is a red line; any point lost on the score is a finding the hall rectifies.
#: For tests that need visits of a given score.
SCORE_CHECKLIST = scored_form("score-test", "评分测试表", "Scoring test form", finding_below=100) + '''
[[section.item]]
id = "safety"
text = "存在安全隐患"
text_en = "Safety hazard"
kind = "check"
points = 1
redline = true
'''


@pytest.fixture
def make_scored_visit(make_visit: Callable[..., Any], make_checklist: Callable[..., Any],
                      make_user: Callable[..., User]) -> Callable[..., Any]:
    """A validated visit of ``channel`` to ``hall`` scoring ``score`` (0..100) at ``visited_at`` (aware; default
    now), or a red-line visit (score 0) with ``redline=True``; ``answers`` overrides (e.g. ``{"main.score": "na"}``).
    Users are made once per unit and without passwords, so many visits stay quick."""
    checklist: list[Any] = []
    people: dict[Any, User] = {}

    def make(hall: Hall, channel: str = "unannounced", score: int = 100, redline: bool = False,
             visited_at: Any = None, answers: dict[str, object] | None = None, status: str = "validated") -> Any:
        if not checklist:
            checklist.append(make_checklist("score-test", source=SCORE_CHECKLIST))
        if "market" not in people:
            people["market"] = make_user(Role.MARKET, password=None)
        if hall.unit_id not in people:
            people[hall.unit_id] = make_user(Role.SUPERVISOR, password=None, units=[hall.unit])
        given = {"main.score": score, "main.safety": "fail" if redline else "na", **(answers or {})}
        return make_visit(hall=hall, type=channel, checklist=checklist[0], answers=given, visited_at=visited_at,
                          supervisor=people[hall.unit_id], market=people["market"], status=status)

    return make


# --- background jobs on real queues ------------------------------------------------------------------

REDIS_SERVER = "/usr/bin/redis-server"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of the test session's own, on a free port (``.ci/system-deps`` installs it)."""
    import socket
    import subprocess
    import time

    if not os.path.exists(REDIS_SERVER):
        pytest.fail(f"{REDIS_SERVER} is missing: the job tests run on Redis too (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


@pytest.fixture(params=["sqlite", "redis"])
def jobs_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A real queue: the embedded SQLite one, then Redis (emptied for each test)."""
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "jobs.sqlite")
    url = request.getfixturevalue("redis_server")
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def start_worker(app: Flask, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Start ``flask jobs worker`` in a process of its own, on the test app's database and queue; every worker
    still running is killed after the test."""
    import subprocess
    import sys

    started: list[subprocess.Popen[bytes]] = []
    env = {**os.environ, "SURVEYAPP_INSTANCE_PATH": str(tmp_path / "instance")}
    for name in ("DATABASE_URL", "SECRET_KEY", "JOBS_URL", "JOBS_STALE_SECONDS", "JOBS_HEARTBEAT_SECONDS",
                 "FROZEN_NOW", "COMPANY_NAME", "UPLOAD_FOLDER", "PDF_FONT_FOLDER", "SMTP_HOST", "SMTP_PORT",
                 "OUTBOX_RETRY_SECONDS"):
        if app.config.get(name) is not None:
            env[f"SURVEYAPP_{name}"] = str(app.config[name])

    def start() -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "surveyapp", "jobs", "worker", "-w", "1"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).parent.parent)
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
