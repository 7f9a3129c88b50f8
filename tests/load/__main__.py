"""``make loadtest`` (``SHORT=1``: the CI version, under two minutes): two app hosts under load, with faults.

    python -m tests.load [--short] [--rate VISITS_PER_SECOND]

Needs PostgreSQL: ``SURVEYAPP_TEST_DATABASE_URL`` (as for the tests; the suite makes its own database
``<name>_load`` on that server). Prints a table per endpoint and the checks; exits 1 if a check fails.

The supervisors start their visits on a schedule (``Shape.rate`` visits a second between them all: the offered
load; a supervisor late on it starts the next one as soon as the previous is done), so the figures say what the
hosts sustain and how long a request takes at that load, not how long 100 clients without a pause queue.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from tests.load import accounting, clients, cpu, stack


@dataclass(frozen=True)
class Shape:
    supervisors: int
    visits_each: int
    market: int
    #: When each fault starts, as a share of the expected run time, and how long the cuts last.
    seconds: float
    #: Visits started per second by all the supervisors together (the offered load).
    rate: float

    def at(self, rate: float) -> Shape:
        """This shape offering ``rate`` visits a second for as long (more or fewer visits each)."""
        return Shape(self.supervisors, max(1, math.ceil(rate * self.seconds / self.supervisors)), self.market,
                     self.seconds, rate)

    def schedule(self, started: float, supervisor: int) -> list[float]:
        """When supervisor number ``supervisor`` starts each of their visits (``time.monotonic()``): the visits of
        all supervisors one after the other at :attr:`rate`."""
        return [started + (k * self.supervisors + supervisor) / self.rate for k in range(self.visits_each)]


#: The issue's target: 25 submissions a second (with a photo on a quarter of the visits) for 5 minutes.
FULL = Shape(supervisors=100, visits_each=75, market=4, seconds=300, rate=25)
#: Seconds after a fault ends in which 503s still count as the fault's (pooled connections are replaced).
RECOVERY = 5
#: The supervisors stop starting visits at this multiple of the expected run time (a shared machine is slower).
LIMIT = 2
SHORT = Shape(supervisors=8, visits_each=4, market=2, seconds=40, rate=1)
#: Submissions (and photos) per second are counted over the middle of the run: from the submission at this share of
#: all to the one at 1 - this share (the supervisors' logins before, the last stragglers after, left out).
EDGE = 0.10
#: The share of visits that send a photo, and the most different photos made for a run.
PHOTO_SHARE, PHOTO_POOL = 0.25, 400


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load")
    parser.add_argument("--short", action="store_true", help="the CI version (under two minutes)")
    parser.add_argument("--rate", type=float, help="visits started per second (default: 25, --short: 1)")
    args = parser.parse_args()
    shape = SHORT if args.short else FULL
    if args.rate:
        shape = shape.at(args.rate)
    base = os.environ.get("SURVEYAPP_TEST_DATABASE_URL")
    if not base:
        print("set SURVEYAPP_TEST_DATABASE_URL to a PostgreSQL server (the load suite makes its own database)")
        return 2
    print("making the photos and the company ...", flush=True)
    # as many different photos as a quarter of the visits may send, at most PHOTO_POOL (0.1 s of CPU and 1.8 MB each)
    wanted = math.ceil(shape.supervisors * shape.visits_each * PHOTO_SHARE * 1.1)
    photos = clients.Photos(clients.phone_jpegs(min(wanted, PHOTO_POOL)))
    with stack.running(base, shape.supervisors, shape.visits_each, shape.market) as running:
        print(f"two hosts behind {running.base_url}; {len(running.jobs)} visits to submit", flush=True)
        log, stop, faults = clients.Log(), threading.Event(), []
        begin = time.monotonic() + 2  # the supervisors log in first
        threads = [threading.Thread(target=clients.supervisor, args=(
            running.base_url, log, stop, f"sup{n}", stack.PASSWORD,
            [j for j in running.jobs if j.username == f"sup{n}"], photos, PHOTO_SHARE, shape.schedule(begin, n)))
            for n in range(shape.supervisors)]
        threads += [threading.Thread(target=clients.market, args=(running.base_url, log, stop, name, stack.PASSWORD))
                    for name in running.market]
        sampler = cpu.Sampler(sa.make_url(running.database_url).database or "")
        sampler.start()
        started, began = time.monotonic(), time.time()
        for thread in threads:
            thread.start()
        at = lambda share: time.sleep(max(0.0, started + share * shape.seconds - time.monotonic()))

        def fault(name: str, act, undo=None, length: float = 0.0) -> None:
            begin = time.monotonic()
            act()
            if undo:
                time.sleep(length)
                undo()
            faults.append((name, begin, time.monotonic() + RECOVERY))
            print(f"  {name} at {begin - started:.0f} s", flush=True)

        published: list[str] = []

        def publisher() -> None:
            """F7 beside the other faults (it needs a publish job under way, which takes a while to reach)."""
            at(0.05)
            try:
                published.extend(f7(running, log, fault))
            except RuntimeError as exc:  # a request that could not be completed
                published.append(f"F7: {exc}")

        threads.append(threading.Thread(target=publisher))
        threads[-1].start()
        at(0.15)
        fault("F1 SIGKILL a worker of host 1", lambda: running.kill_worker(0))
        at(0.30)
        fault("F1 SIGKILL host 1", lambda: running.kill_host(0))
        at(0.45)
        fault("F2 PostgreSQL unreachable 5 s", lambda: running.cut("pg"), lambda: running.restore("pg"), 5)
        at(0.65)
        fault("F3 object store unreachable 10 s", lambda: running.cut("s3"), lambda: running.restore("s3"), 10)
        # The supervisors finish their visits, or stop starting new ones at the time limit (a busy machine).
        for thread in threads[: shape.supervisors]:
            thread.join(max(0.0, started + LIMIT * shape.seconds - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        sampler.stop()
        problems = published + check(running, log, faults)
    report(shape, log, [(name, b - started, e - started) for name, b, e in faults], seconds, problems)
    if len(log.submitted) < len(running.jobs):
        print(f"time limit ({LIMIT} x {shape.seconds:.0f} s) reached: {len(log.submitted)} of {len(running.jobs)} "
              "visits submitted (the supervisors stopped starting new ones; every started one was finished)")
    where(sampler.seconds(), seconds, len(log.submitted), accounting.read(running.folder, since=began))
    return 1 if problems else 0


def f7(running: stack.Stack, log: clients.Log, fault: Callable[..., None]) -> list[str]:
    """F7: publish last month's notice (as the market department does, through the balancer), SIGKILL the job
    worker while the job renders or writes, check in SQL that nothing of it is there, start a new worker and
    check that the month is then fully published: the revision with its PDF, every visit released, the findings,
    the hall manager's messages. Returns the problems found."""
    month = running.month
    assert month is not None and running.start_worker is not None
    client = clients.Client(running.base_url, log, threading.Event())
    client.login(month.publisher, stack.PASSWORD)
    page = client.call("GET /notices/", "GET", "/notices/", {200}).text
    client.call("POST /notices/", "POST", "/notices/", {302}, drop=False,
                data={"period": month.period, "csrf_token": clients.hidden(page, "csrf_token")})
    page = client.call("GET /notices/<month>", "GET", f"/notices/{month.period}", {200}).text
    form = clients.form(page, "publish-form")
    client.call("POST /notices/<month>/publish", "POST", f"/notices/{month.period}/publish", {302},
                drop=False, data={**form, "confirm_open": "y"})  # answers with the job's progress page
    job = publish_job(running)
    stage = running.job_stage(job, ("pdf", "release", "notify"), timeout=120)
    if stage is None:
        return [f"F7: the publish job did not reach its PDF in 120 s (job status {job_status(running, job)})"]
    fault(f"F7 SIGKILL the job worker while publishing ({stage})", running.kill_job_worker)
    problems = [f"F7 after the kill: {p}" for p in published(running, month, job, expect=False)]
    running.start_worker()
    progress = lambda: client.call("GET /jobs/<id>.json", "GET", f"/jobs/{job}.json", {200}, drop=False).json()
    deadline = time.monotonic() + 180
    while (now := progress())["status"] != "done":  # what the publisher's progress page shows
        if time.monotonic() > deadline or now["status"] == "failed":
            return [*problems, f"F7: the restarted worker did not complete the job ({now})"]
        time.sleep(0.5)
    return problems + [f"F7 after the restart: {p}" for p in published(running, month, job, expect=True)]


def publish_job(running: stack.Stack) -> int:
    engine = sa.create_engine(running.database_url)
    with engine.connect() as conn:
        job = conn.execute(sa.text("SELECT id FROM job WHERE kind = 'publish'")).scalar_one()
    engine.dispose()
    return job


def job_status(running: stack.Stack, job: int) -> str:
    engine = sa.create_engine(running.database_url)
    with engine.connect() as conn:
        status = conn.execute(sa.text("SELECT status FROM job WHERE id = :job"), {"job": job}).scalar_one()
    engine.dispose()
    return status


def published(running: stack.Stack, month: stack.Month, job: int, expect: bool) -> list[str]:
    """In SQL: last month is either not published at all (``expect`` False) or completely (True)."""
    engine = sa.create_engine(running.database_url)
    with engine.connect() as conn:
        one = lambda sql: conn.execute(sa.text(sql), {"period": month.period, "job": job}).scalar_one()
        figures = {
            "revisions": one("SELECT count(*) FROM notice_revision r JOIN notice n ON n.id = r.notice_id "
                             "WHERE n.period = :period"),
            "revisions with a PDF": one("SELECT count(*) FROM notice_revision r JOIN notice n ON n.id = r.notice_id "
                                        "WHERE n.period = :period AND substr(r.pdf, 1, 4) = '%PDF'"),
            "released visits": one("SELECT count(*) FROM visit WHERE period = :period AND released_at IS NOT NULL"),
            "findings": one("SELECT count(*) FROM finding f JOIN visit v ON v.id = f.visit_id WHERE v.period = :period"),
            "messages to the hall manager": one("SELECT count(*) FROM notification m JOIN \"user\" u ON u.id = m.user_id "
                                           "WHERE u.username = 'f7manager'"),
            "job status": one("SELECT status FROM job WHERE id = :job"),
            "job runs": one("SELECT attempts FROM job WHERE id = :job"),
        }
    engine.dispose()
    if expect:
        wanted = {"revisions": 1, "revisions with a PDF": 1, "released visits": month.visits,
                  "findings": month.visits, "job status": "done", "job runs": 2}
        problems = [f"{name}: {figures[name]} (expected {value})" for name, value in wanted.items()
                    if figures[name] != value]
        return problems + ([] if figures["messages to the hall manager"] >= 2 else
                           [f"messages to the hall manager: {figures['messages to the hall manager']} (expected 2)"])
    return [f"{name}: {value} (expected none)" for name, value in figures.items()
            if name not in ("job status", "job runs") and value]


def check(running: stack.Stack, log: clients.Log, faults: list) -> list[str]:
    """SQL and bucket: one revision per submission id, every visit submitted once, every photo stored."""
    from surveyapp.photo_store import S3Store
    from tests import s3

    problems = list(log.failures)
    engine = sa.create_engine(running.database_url)
    with engine.connect() as conn:
        revisions = dict(conn.execute(sa.text(
            "SELECT submission_id, count(*) FROM visit_revision GROUP BY submission_id")).all())
        per_visit = dict(conn.execute(sa.text(
            "SELECT v.uid, count(r.id) FROM visit v LEFT JOIN visit_revision r ON r.visit_id = v.id GROUP BY v.uid")).all())
        photo_rows = dict(conn.execute(sa.text("SELECT client_id, key FROM photo")).all())
    engine.dispose()
    lost = [s for s in log.submitted if revisions.get(s) != 1]
    problems += [f"submission {s}: {revisions.get(s, 0)} revisions" for s in lost]
    problems += [f"visit {uid}: {n} revisions" for uid, n in per_visit.items() if n > 1]
    problems += [f"photo {c}: no row" for c in log.photos if c not in photo_rows]
    os.environ.update(s3.ENVIRONMENT)
    store = S3Store(running.storage_url)
    stored = {f.name.rsplit("/", 1)[-1].removesuffix(".jpg") for f in store.files()}
    problems += [f"photo {c}: row without a stored file" for c, key in photo_rows.items()
                 if key not in stored or f"{key}.thumb" not in stored]
    # A request counts as in a fault window when it overlaps it (sent just before, answered during).
    outside = [r for r in log.records if r.status >= 500
               and not any(r.started <= end and r.started + r.seconds >= begin for _, begin, end in faults)]
    problems += [f"{len(outside)} 5xx outside the fault windows"] if outside else []
    return problems


def report(shape: Shape, log: clients.Log, faults: list, seconds: float, problems: list[str]) -> None:
    cpu = os.cpu_count()
    print(f"\nmachine: {platform.node()}, {cpu} CPU, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}; load generator on the same machine")
    print(f"shape: {shape.supervisors} supervisors x {shape.visits_each} visits started at {shape.rate:g} a second "
          f"between them, {shape.market} market users, {seconds:.0f} s; 10 % of answers dropped and retried\n")
    print("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | 5xx | no answer |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in clients.summary(log.records, seconds):
        print("| {} | {} | {:.1f} | {:.0f} | {:.0f} | {:.0f} | {} | {} |".format(*row))
    errors = Counter((r.endpoint, r.status) for r in log.records if r.status >= 500)
    if errors:
        print("\n5xx: " + ", ".join(f"{endpoint} {status} x{n}" for (endpoint, status), n in sorted(errors.items())))
    print(f"\nsubmissions: {len(log.submitted)} ({len(log.submitted) / seconds:.1f}/s), "
          f"photos: {len(log.photos)} ({len(log.photos) / seconds:.1f}/s)")
    print(sustained(log.done, shape.rate))
    for name, begin, end in faults:
        print(f"fault: {name}: {begin:.0f}-{end:.0f} s")
    print("checks: " + ("all passed (one revision per submission id, no lost photo, no 5xx outside faults)"
                        if not problems else f"{len(problems)} FAILED"))
    for problem in problems[:30]:
        print("  " + problem)
    sys.stdout.flush()


def sustained(done: list[tuple[float, str]], offered: float) -> str:
    """Submissions and photos a second over the middle of the run (see :data:`EDGE`), against the offered load."""
    times = sorted(at for at, kind in done if kind == "submission")
    if len(times) < 10:
        return "sustained: too few submissions to tell"
    first, last = times[int(EDGE * len(times))], times[int((1 - EDGE) * len(times)) - 1]
    span = max(last - first, 1e-9)
    count = lambda kind: sum(1 for at, k in done if k == kind and first <= at <= last)
    rate = count("submission") / span
    behind = ("\n  below the offered rate: the supervisors fell behind their schedule and queued, so the latencies above "
              "are those of an overloaded machine; --rate near the sustained rate gives the latencies at that load"
              if rate < 0.9 * offered else "")
    return (f"sustained over the middle {100 - 200 * EDGE:.0f} % of the submissions ({span:.0f} s): "
            f"{rate:.1f} submissions/s and {count('photo') / span:.1f} photos/s "
            f"(offered: {offered:g} visits/s, a photo on a quarter){behind}")


def where(spent: dict[str, float], seconds: float, submissions: int, endpoints: list[accounting.Row]) -> None:
    """Where the CPU went: seconds and share per component, the web tier's per submission and per endpoint."""
    total = sum(spent.values()) or 1.0
    capacity = (os.cpu_count() or 1) * seconds
    print(f"\nwhere the CPU goes ({total:.0f} CPU s in {seconds:.0f} s, {100 * total / capacity:.0f} % of the "
          f"machine's {os.cpu_count()} cores; anything else running on the machine not counted):")
    for component, used in spent.items():
        print(f"  {component}: {used:.1f} s ({100 * used / total:.0f} %)")
    web = next((used for component, used in spent.items() if component.startswith("web hosts")), 0.0)
    if submissions:
        print(f"  web hosts per visit (start, phone page, submission, its share of photos, logins, market pages): "
              f"{1000 * web / submissions:.0f} ms CPU")
    print("\nthe web workers' CPU by endpoint (time.process_time per request; per visit: requests per submitted visit):")
    print("\n".join(accounting.table(endpoints, web, submissions)))
    print("\ninside the app: python -m tests.load.profile; CPU per request: python -m tests.bench visits (bench_cpu)")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
