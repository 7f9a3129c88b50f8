"""``make loadtest`` (``SHORT=1``: the CI version, under two minutes): two app hosts under load, with faults.

    python -m tests.load [--short]

Needs PostgreSQL: ``SURVEYAPP_TEST_DATABASE_URL`` (as for the tests; the suite makes its own database
``<name>_load`` on that server). Prints a table per endpoint and the checks; exits 1 if a check fails.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from tests.load import clients, stack


@dataclass(frozen=True)
class Shape:
    supervisors: int
    visits_each: int
    market: int
    #: When each fault starts, as a share of the expected run time, and how long the cuts last.
    seconds: float


FULL = Shape(supervisors=100, visits_each=12, market=4, seconds=300)
#: Seconds after a fault ends in which 503s still count as the fault's (pooled connections are replaced).
RECOVERY = 5
SHORT = Shape(supervisors=8, visits_each=4, market=2, seconds=40)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load")
    parser.add_argument("--short", action="store_true", help="the CI version (under two minutes)")
    args = parser.parse_args()
    shape = SHORT if args.short else FULL
    base = os.environ.get("SURVEYAPP_TEST_DATABASE_URL")
    if not base:
        print("set SURVEYAPP_TEST_DATABASE_URL to a PostgreSQL server (the load suite makes its own database)")
        return 2
    print("making the photos and the company ...", flush=True)
    photos = [clients.phone_jpeg(seed) for seed in range(3)]
    with stack.running(base, shape.supervisors, shape.visits_each, shape.market) as running:
        print(f"two hosts behind {running.base_url}; {len(running.jobs)} visits to submit", flush=True)
        log, stop, faults = clients.Log(), threading.Event(), []
        threads = [threading.Thread(target=clients.supervisor, args=(
            running.base_url, log, stop, f"sup{n}", stack.PASSWORD,
            [j for j in running.jobs if j.username == f"sup{n}"], photos, 0.25)) for n in range(shape.supervisors)]
        threads += [threading.Thread(target=clients.market, args=(running.base_url, log, stop, name, stack.PASSWORD))
                    for name in running.market]
        started = time.monotonic()
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

        at(0.15)
        fault("F1 SIGKILL a worker of host 1", lambda: running.kill_worker(0))
        at(0.30)
        fault("F1 SIGKILL host 1", lambda: running.kill_host(0))
        at(0.45)
        fault("F2 PostgreSQL unreachable 5 s", lambda: running.cut("pg"), lambda: running.restore("pg"), 5)
        at(0.65)
        fault("F3 object store unreachable 10 s", lambda: running.cut("s3"), lambda: running.restore("s3"), 10)
        for thread in threads[: shape.supervisors]:
            thread.join()
        stop.set()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        problems = check(running, log, faults)
    report(shape, log, [(name, b - started, e - started) for name, b, e in faults], seconds, problems)
    return 1 if problems else 0


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
    print(f"shape: {shape.supervisors} supervisors x {shape.visits_each} visits, {shape.market} market users, "
          f"{seconds:.0f} s; 10 % of answers dropped and retried\n")
    print("| endpoint | requests | req/s | p50 ms | p95 ms | p99 ms | 5xx | no answer |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in clients.summary(log.records, seconds):
        print("| {} | {} | {:.1f} | {:.0f} | {:.0f} | {:.0f} | {} | {} |".format(*row))
    errors = Counter((r.endpoint, r.status) for r in log.records if r.status >= 500)
    if errors:
        print("\n5xx: " + ", ".join(f"{endpoint} {status} x{n}" for (endpoint, status), n in sorted(errors.items())))
    print(f"\nsubmissions: {len(log.submitted)} ({len(log.submitted) / seconds:.1f}/s), "
          f"photos: {len(log.photos)} ({len(log.photos) / seconds:.1f}/s)")
    for name, begin, end in faults:
        print(f"fault: {name}: {begin:.0f}-{end:.0f} s")
    print("checks: " + ("all passed (one revision per submission id, no lost photo, no 5xx outside faults)"
                        if not problems else f"{len(problems)} FAILED"))
    for problem in problems[:30]:
        print("  " + problem)
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
