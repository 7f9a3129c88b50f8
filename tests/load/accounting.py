"""The web workers' CPU per request, by endpoint: gunicorn hooks (``-c python:tests.load.accounting``) that the
load suite's hosts run with, so the app itself is unchanged.

Each worker appends one line per request to ``$LOAD_ACCOUNTING_FOLDER/cpu-<pid>.tsv``: when it ended, the endpoint
(method and the Flask rule, e.g. ``POST /my/visits/<uid>/submit``), the status and the CPU seconds the worker spent
on the request (``time.process_time``, from reading the request to the last byte written); and one line when it has
started (``WORKER_START``: its imports and ``create_app``). Lines are written unbuffered, so a worker killed by a
fault keeps what it did. :func:`table` adds the files up at the end of a run.
"""
from __future__ import annotations

import os
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException

FOLDER = "LOAD_ACCOUNTING_FOLDER"
WORKER_START = "(a worker starting: imports, create_app)"
#: A route's variable with its converter (``<path:filename>``), shown without it.
VARIABLE = re.compile(r"<(?:[^:>]*:)?([^>]*)>")
_started: list[float] = []
_file: list[int] = []
_app: list[Any] = []


def post_worker_init(worker: Any) -> None:
    _app[:] = [worker.wsgi]  # the Flask app: its URL map names the endpoints
    _write(WORKER_START, 0, time.process_time())  # a forked child's CPU time starts at zero


def pre_request(worker: Any, req: Any) -> None:
    _started[:] = [time.process_time()]


def post_request(worker: Any, req: Any, environ: dict, resp: Any) -> None:
    spent = time.process_time() - _started[0] if _started else 0.0
    _write(endpoint(req.method, environ), getattr(resp, "status_code", None) or 0, spent)


def _write(name: str, status: int, spent: float) -> None:
    if not _file:
        path = Path(os.environ[FOLDER]) / f"cpu-{os.getpid()}.tsv"
        _file.append(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))
    os.write(_file[0], f"{time.time():.3f}\t{name}\t{status}\t{spent:.6f}\n".encode())


def endpoint(method: str, environ: dict) -> str:
    """``METHOD /rule`` with the route's variables as ``<name>`` (matched again after the request: Flask
    clears its request from the environment when it ends)."""
    try:
        rule = _app[0].url_map.bind_to_environ(environ).match(return_rule=True)[0].rule
    except HTTPException:  # no route (404, 405): counted apart
        return f"{method} (no route)"
    return method + " " + VARIABLE.sub(r"<\1>", rule)


@dataclass(frozen=True)
class Row:
    endpoint: str
    requests: int
    seconds: float
    #: The median request's CPU seconds: what a warm worker spends (the mean also carries each worker's first
    #: use of a page: templates compiled, caches filled, the photo store's client made).
    median: float


def lines(folder: Path, since: float = 0.0) -> list[tuple[str, float]]:
    """(endpoint, CPU seconds) of every request and worker start that ended at or after ``since`` (a Unix time)."""
    found = []
    for path in folder.glob("host*/cpu-*.tsv"):
        for line in path.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) == 4 and float(parts[0]) >= since:  # not the last line of a worker killed writing it
                found.append((parts[1], float(parts[3])))
    return found


def read(folder: Path, since: float = 0.0) -> list[Row]:
    """Every worker's lines since ``since`` added up by endpoint, the costliest first."""
    spent: dict[str, list[float]] = defaultdict(list)
    for name, seconds in lines(folder, since):
        spent[name].append(seconds)
    rows = [Row(name, len(times), sum(times), statistics.median(times)) for name, times in spent.items()]
    return sorted(rows, key=lambda row: -row.seconds)


def table(rows: list[Row], web_seconds: float, submissions: int) -> list[str]:
    """Markdown lines: per endpoint the requests, their CPU (total, per request, share of the web hosts' CPU)
    and how many of them one submitted visit costs; then what the workers spent outside requests."""
    out = ["| endpoint | requests | per visit | CPU s | CPU ms/request | median ms | share of web CPU |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    whole = web_seconds or sum(row.seconds for row in rows) or 1.0
    per_visit = lambda n: f"{n / submissions:.2f}" if submissions else "-"
    for row in rows:
        out.append(f"| {row.endpoint} | {row.requests} | {per_visit(row.requests)} | {row.seconds:.1f} | "
                   f"{1000 * row.seconds / row.requests:.1f} | {1000 * row.median:.1f} | {100 * row.seconds / whole:.0f} % |")
    counted = sum(row.seconds for row in rows)
    if web_seconds:
        out.append(f"| outside requests (the masters, gunicorn's own work between requests) | | | "
                   f"{web_seconds - counted:.1f} | | | {100 * (web_seconds - counted) / whole:.0f} % |")
    return out
