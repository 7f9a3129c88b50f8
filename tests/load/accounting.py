"""The web workers' CPU per request, by endpoint: gunicorn hooks (``-c python:tests.load.accounting``) that the
load suite's hosts run with, so the app itself is unchanged.

Each worker appends one line per request to ``$LOAD_ACCOUNTING_FOLDER/cpu-<pid>.tsv``: the endpoint (method and
the Flask rule, e.g. ``POST /my/visits/<uid>/submit``), the status and the CPU seconds the worker spent on the
request (``time.process_time``, from reading the request to the last byte written). Lines are written unbuffered,
so a worker killed by a fault keeps what it did. :func:`table` adds the files up at the end of a run.
"""
from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException

FOLDER = "LOAD_ACCOUNTING_FOLDER"
#: A route's variable with its converter (``<path:filename>``), shown without it.
VARIABLE = re.compile(r"<(?:[^:>]*:)?([^>]*)>")
_started: list[float] = []
_file: list[int] = []
_app: list[Any] = []


def post_worker_init(worker: Any) -> None:
    _app[:] = [worker.wsgi]  # the Flask app: its URL map names the endpoints


def pre_request(worker: Any, req: Any) -> None:
    _started[:] = [time.process_time()]


def post_request(worker: Any, req: Any, environ: dict, resp: Any) -> None:
    spent = time.process_time() - _started[0] if _started else 0.0
    if not _file:
        path = Path(os.environ[FOLDER]) / f"cpu-{os.getpid()}.tsv"
        _file.append(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))
    status = getattr(resp, "status_code", None) or 0
    os.write(_file[0], f"{endpoint(req.method, environ)}\t{status}\t{spent:.6f}\n".encode())


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


def read(folder: Path) -> list[Row]:
    """Every worker's lines added up by endpoint, the costliest first."""
    requests: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    for path in folder.glob("host*/cpu-*.tsv"):
        for line in path.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) != 3:  # the last line of a worker killed while writing it
                continue
            requests[parts[0]] += 1
            seconds[parts[0]] += float(parts[2])
    return sorted((Row(name, requests[name], seconds[name]) for name in requests), key=lambda row: -row.seconds)


def table(rows: list[Row], web_seconds: float, submissions: int) -> list[str]:
    """Markdown lines: per endpoint the requests, their CPU (total, per request, share of the web hosts' CPU)
    and how many of them one submitted visit costs; then what the workers spent outside requests."""
    lines = ["| endpoint | requests | per visit | CPU s | CPU ms/request | share of web CPU |",
             "|---|---:|---:|---:|---:|---:|"]
    whole = web_seconds or sum(row.seconds for row in rows) or 1.0
    per_visit = lambda n: f"{n / submissions:.2f}" if submissions else "-"
    for row in rows:
        lines.append(f"| {row.endpoint} | {row.requests} | {per_visit(row.requests)} | {row.seconds:.1f} | "
                     f"{1000 * row.seconds / row.requests:.1f} | {100 * row.seconds / whole:.0f} % |")
    counted = sum(row.seconds for row in rows)
    if web_seconds:
        lines.append(f"| outside requests (workers' start after a kill, masters, gunicorn's own work) | | | "
                     f"{web_seconds - counted:.1f} | | {100 * (web_seconds - counted) / whole:.0f} % |")
    return lines
