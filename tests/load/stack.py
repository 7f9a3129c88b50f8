"""What the load suite runs against: its own PostgreSQL database with a small company in it, moto's S3
server, two gunicorn "hosts" (two workers each, instance folders of their own: nothing shared but the
database and the bucket) and the network process (balancer, cuttable proxies)."""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from tests import s3
from tests.load import accounting, net

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "load test password"
IMPRESSION = "营业员态度热情，办理迅速，环境整洁有序，值得表扬。"


@dataclass
class Job:
    """One visit a supervisor fills and submits."""

    username: str
    uid: str
    fields: list[list[str]]


@dataclass(frozen=True)
class Month:
    """Last month's visits, validated and waiting for the notice that releases them (F7 publishes it)."""

    period: str
    publisher: str
    visits: int


@dataclass
class Stack:
    database_url: str
    storage_url: str
    base_url: str
    control_port: int
    hosts: list[subprocess.Popen] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    market: list[str] = field(default_factory=list)
    #: The month F7 publishes (last month, its visits validated but not released) and who publishes it.
    month: Month | None = None
    #: Starts a ``flask jobs worker`` on the Redis queue (F7 kills it and starts another).
    start_worker: Callable[[], subprocess.Popen] | None = None
    worker: subprocess.Popen | None = None
    jobs_url: str = ""
    #: The hosts' instance folders and logs (``host0/``, ``host1/``: their CPU per request, see ``accounting``).
    folder: Path = Path()

    def cut(self, name: str) -> None:
        net.command(self.control_port, "cut", name)

    def restore(self, name: str) -> None:
        net.command(self.control_port, "restore", name)

    def workers(self, host: int) -> list[int]:
        """The worker process ids of a host (children of its gunicorn master)."""
        children = Path(f"/proc/{self.hosts[host].pid}/task/{self.hosts[host].pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill_worker(self, host: int) -> None:
        os.kill(self.workers(host)[0], signal.SIGKILL)

    def kill_host(self, host: int) -> None:
        os.killpg(self.hosts[host].pid, signal.SIGKILL)

    def job_stage(self, job: int, stages: tuple[str, ...], timeout: float) -> str | None:
        """Wait until the running job says (in its heartbeat on the queue, read every 20 ms) it is in one of
        ``stages``; the stage, or None if it did not get there (finished or failed first, or timed out)."""
        import json

        from huey import RedisHuey
        from huey.constants import EmptyData

        storage = RedisHuey("surveyapp", url=self.jobs_url).storage
        engine = sa.create_engine(self.database_url)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                raw = storage.peek_data(f"progress:{job}")
                if raw is not EmptyData and raw is not None and json.loads(raw).get("stage") in stages:
                    return json.loads(raw)["stage"]
                with engine.connect() as conn:
                    status = conn.execute(sa.text("SELECT status FROM job WHERE id = :job"), {"job": job}).scalar()
                if status in ("done", "failed"):
                    return None
                time.sleep(0.02)
            return None
        finally:
            engine.dispose()

    def kill_job_worker(self) -> None:
        """SIGKILL the job worker (its process group: the consumer and whatever it started)."""
        assert self.worker is not None
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)


def own_database(base_url: str) -> str:
    """A fresh database ``<name>_load`` on the server of ``base_url``."""
    url = sa.make_url(base_url)
    name = f"{url.database}_load"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def populate(database_url: str, supervisors: int, visits_each: int,
             market: int) -> tuple[list[Job], list[str], Month]:
    """Schema, checklists, one unit with a hall per supervisor, accounts and planned visits; the answers each
    visit will be submitted with (full marks, about 45 items); last month's validated visits for F7."""
    from surveyapp import clock, create_app
    from surveyapp.auth.models import Role
    from surveyapp.checklists import services as checklists
    from surveyapp.checklists.loader import SourceFile
    from surveyapp.db import db
    from surveyapp.migrate import upgrade
    from surveyapp.org.models import Hall, HallType, Staff, Unit
    from surveyapp.planning.services import Plan, plan_visit
    from surveyapp.resources import resource_dir
    from surveyapp.users import services as users
    from surveyapp.visits.models import VisitType
    from tests.conftest import full_marks

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "load", "TESTING": True})
    upgrade(app)
    jobs, market_users = [], []
    with app.app_context():
        text = (resource_dir("forms") / "hall-etiquette.toml").read_text(encoding="utf-8")
        [loaded] = checklists.load_sources(db.session, None, [SourceFile("forms/hall-etiquette.toml", text)])
        version = loaded.version
        # in use before the visits: today's (dated half an hour ago) and F7's last month (dated its 10th)
        version.first_loaded_at -= dt.timedelta(days=62)
        unit = Unit(code="L001", name="负载测试分公司")
        db.session.add(unit)
        today = clock.local(clock.now()).date()
        visited = clock.local(clock.now() - dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
        for n in range(supervisors):
            hall = Hall(code=f"L{n:04d}", name=f"负载营业厅{n}", unit=unit, type=HallType.SELF_RUN, active=True)
            db.session.add_all([hall, Staff(job_number=f"{10000 + n}", name=f"营业员{n}", hall=hall)])
            db.session.flush()
            user = users.create_user(db.session, None, username=f"sup{n}", display_name=f"监督员{n}",
                                    role=Role.SUPERVISOR, password=PASSWORD, hall_codes=[], unit_codes=["L001"])
            answers = full_marks(version, "announced", "self-run", [f"{10000 + n}"])
            fields = [[k, ", ".join(v) if isinstance(v, list) else str(v)] for k, v in answers.items()]
            fields += [["visited_at", visited], ["scenario", "缴费"], ["impression", IMPRESSION]]
            for _ in range(visits_each):
                visit = plan_visit(db.session, None, Plan(hall, version, VisitType.ANNOUNCED, user, today, today))
                jobs.append(Job(user.username, visit.uid, fields))
        for n in range(market):
            users.create_user(db.session, None, username=f"market{n}", display_name=f"市场部{n}", role=Role.MARKET,
                             password=PASSWORD, hall_codes=[], unit_codes=[])
            market_users.append(f"market{n}")
        month = last_month(unit, version)
        db.session.commit()
    app.extensions["surveyapp.db"][0].dispose()
    return jobs, market_users, month


def last_month(unit: Any, version: Any) -> Month:
    """Three halls with a hall manager, visited last month by a supervisor of their own: each visit validated
    (unannounced: released only when the month's notice is published), one item failed (a finding)."""
    from surveyapp import clock
    from surveyapp.auth.models import Role
    from surveyapp.checklists import scoring
    from surveyapp.checklists.definition import EvidenceRule, ItemKind
    from surveyapp.db import db
    from surveyapp.org.models import Hall, HallType, Staff
    from surveyapp.planning import services as planning
    from surveyapp.users import services as users
    from surveyapp.visits import services, validation
    from surveyapp.visits.content import Content
    from surveyapp.visits.models import VisitType
    from surveyapp.visits.rules import VisitSettings
    from tests.conftest import full_marks

    first = clock.today().replace(day=1) - dt.timedelta(days=1)
    first = first.replace(day=1)
    when = dt.datetime(first.year, first.month, 10, 10, tzinfo=clock.company_tz()).astimezone(dt.UTC)
    failed = next(item.key for item in scoring.applicable_items(version.definition, "unannounced", "self-run")
                  if item.kind is ItemKind.CHECK and item.scored and not item.redline
                  and item.evidence is EvidenceRule.NONE)
    supervisor = users.create_user(db.session, None, username="f7sup", display_name="上月监督员",
                                  role=Role.SUPERVISOR, password=PASSWORD, hall_codes=[], unit_codes=[unit.code])
    publisher = users.create_user(db.session, None, username="publisher", display_name="市场部发布人",
                                 role=Role.MARKET, password=PASSWORD, hall_codes=[], unit_codes=[])
    halls = []
    for n in range(3):
        hall = Hall(code=f"M{n:03d}", name=f"上月营业厅{n}", unit=unit, type=HallType.SELF_RUN, active=True)
        db.session.add_all([hall, Staff(job_number=f"{90000 + n}", name=f"上月营业员{n}", hall=hall)])
        halls.append(hall)
    db.session.flush()
    users.create_user(db.session, None, username="f7manager", display_name="上月厅经理", role=Role.HALL_MANAGER,
                     password=PASSWORD, hall_codes=[halls[0].code], unit_codes=[])
    for n, hall in enumerate(halls):
        visit = planning.plan_visit(db.session, None, planning.Plan(
            hall, version, VisitType.UNANNOUNCED, supervisor, first, first + dt.timedelta(days=20)))
        services.start_visit(db.session, supervisor, visit)
        answers = {**full_marks(version, "unannounced", "self-run", [f"{90000 + n}"]), failed: scoring.FAIL}
        content = Content(answers=answers, visited_at=when, scenario="缴费", impression=IMPRESSION)
        services.submit_visit(db.session, supervisor, visit, str(uuid.uuid4()), content, submitted_at=when, settings=VisitSettings.of(current_app))
        validation.approve(db.session, publisher, visit, None, settings=VisitSettings.of(current_app), late_confirmed=True)
    return Month(first.strftime("%Y-%m"), publisher.username, len(halls))


def started(folder: Path, workers: int, timeout: float = 120) -> None:
    """Wait until the hosts' ``workers`` have started (imported the app and made it): their start is not the
    run's work. A master listens on its port before its workers are ready."""
    deadline = time.monotonic() + timeout
    while sum(name == accounting.WORKER_START for name, _ in accounting.lines(folder)) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the hosts' {workers} workers did not start in {timeout:.0f} s (see {folder})")
        time.sleep(0.2)


REDIS_SERVER = "/usr/bin/redis-server"
#: The job worker's timings in the suite: a killed worker's job is run again within seconds.
JOBS = {"SURVEYAPP_JOBS_STALE_SECONDS": "3", "SURVEYAPP_JOBS_HEARTBEAT_SECONDS": "0.5"}


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A Redis server of the suite's own on a free port: the job queue of both hosts and the worker."""
    port = s3.free_port()
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    try:
        s3.wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def running(base_database_url: str, supervisors: int, visits_each: int, market: int) -> Iterator[Stack]:
    """Everything up; torn down when the block ends."""
    database_url = own_database(base_database_url)
    jobs, market_users, month = populate(database_url, supervisors, visits_each, market)
    tmp = tempfile.mkdtemp(prefix="surveyapp-load-")  # kept: the hosts' logs are read after a run
    print(f"hosts' instance folders and logs: {tmp}", flush=True)
    with s3.moto_server() as endpoint, redis_server(Path(tmp)) as jobs_url, contextlib.ExitStack() as logs:
        s3.make_bucket(endpoint)
        db_url = sa.make_url(database_url)
        ports = {name: s3.free_port() for name in ("front", "pg", "s3", "control", "host0", "host1")}
        network = subprocess.Popen([
            sys.executable, "-m", "tests.load.net", str(ports["control"]),
            f"front={ports['front']}:127.0.0.1:{ports['host0']},127.0.0.1:{ports['host1']}",
            f"pg={ports['pg']}:{db_url.host or '127.0.0.1'}:{db_url.port or 5432}",
            f"s3={ports['s3']}:127.0.0.1:{endpoint.rsplit(':', 1)[1]}"], cwd=ROOT)
        environment = {
            **os.environ, **s3.ENVIRONMENT, **JOBS, "PYTHONPATH": str(ROOT), "SURVEYAPP_SECRET_KEY": "load-test-secret",
            "SURVEYAPP_DATABASE_URL": db_url.set(host="127.0.0.1", port=ports["pg"]).render_as_string(hide_password=False),
            "SURVEYAPP_PHOTO_STORAGE_URL": s3.storage_url(f"http://127.0.0.1:{ports['s3']}"),
            "SURVEYAPP_DATABASE_CONNECT_TIMEOUT": "3", "SURVEYAPP_JOBS_URL": jobs_url,
        }
        stack = Stack(database_url, environment["SURVEYAPP_PHOTO_STORAGE_URL"].replace(
            f"127.0.0.1:{ports['s3']}", endpoint.split("//")[1]), f"http://127.0.0.1:{ports['front']}",
            ports["control"], jobs=jobs, market=market_users, month=month, jobs_url=jobs_url,
            folder=Path(tmp))
        workers: list[subprocess.Popen] = []

        def start_worker() -> subprocess.Popen:
            """A job worker beside the hosts; it reaches PostgreSQL directly (F2's cut is the web tier's)."""
            folder = Path(tmp) / "worker"
            folder.mkdir(exist_ok=True)
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "surveyapp", "jobs", "worker", "-w", "1"],
                cwd=ROOT, env={**environment, "SURVEYAPP_INSTANCE_PATH": str(folder), "SURVEYAPP_DATABASE_URL": database_url},
                stdout=logs.enter_context((folder / f"worker-{len(workers)}.log").open("w")), stderr=subprocess.STDOUT,
                start_new_session=True)
            workers.append(worker)
            stack.worker = worker
            return worker

        stack.start_worker = start_worker
        try:
            for host in (0, 1):
                folder = Path(tmp) / f"host{host}"
                folder.mkdir()
                stack.hosts.append(subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{ports[f'host{host}']}",
                     "--timeout", "30", "--graceful-timeout", "5", "-c", "python:tests.load.accounting",
                     "surveyapp:create_app()"],
                    cwd=ROOT, env={**environment, "SURVEYAPP_INSTANCE_PATH": str(folder),
                                   accounting.FOLDER: str(folder)},
                    stdout=subprocess.DEVNULL, stderr=logs.enter_context((folder / "gunicorn.log").open("w")),
                    start_new_session=True))
            start_worker()
            for port in (ports["front"], ports["host0"], ports["host1"], ports["control"]):
                s3.wait_for_port(port)
            started(Path(tmp), workers=4)
            yield stack
        finally:
            for process in [*stack.hosts, *workers]:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                process.wait(15)
            network.terminate()
            network.wait(10)
