"""Monthly notice speed: publishing and rendering the demo company's 66-hall notice, and a 1,000-hall one.

Run with ``make bench`` (``bench_notices``) or ``python -m tests.bench.notices``. The 66 halls are the demo
data (``flask demo load``: visits of the previous month with findings, red lines and evidence photos) in a
SQLite database of a temporary folder; the notice is published through the services (assessment, snapshot,
PDF), then its frozen snapshot is rendered again several times, as ``surveyapp.notices.rendering`` does for
every PDF. The 1,000-hall notice is that snapshot with its halls repeated (same findings and photos per hall),
which is what the renderer's time depends on. Target (issue 5): a 66-hall notice in at most 1.0 s in-process.
PDFs embed the print font (``surveyapp.print_font``), built first if this installation has none yet.
"""
from __future__ import annotations

import copy
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def pages_of(data: bytes) -> int:
    result = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    return int(re.search(rb"Pages:\s+(\d+)", result.stdout)[1])


def demo_app() -> Flask:
    """An app on a fresh SQLite database holding the demo company (66 halls, two months of visits)."""
    from surveyapp import create_app
    from surveyapp.migrate import upgrade

    folder = tempfile.mkdtemp(prefix="surveyapp-bench-notices-")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DEMO": True,
                      "DATABASE_URL": "sqlite:///" + os.path.join(folder, "bench.sqlite"),
                      "UPLOAD_FOLDER": os.path.join(folder, "uploads")})
    upgrade(app)
    from surveyapp.db import db
    from surveyapp.demo.loader import discover

    with app.app_context():
        result = app.test_cli_runner().invoke(args=["forms", "load"])
        assert result.exit_code == 0, (result.output, result.exception)
        # The demo up to the month's notice: the benchmark publishes it (as the demo does, on the 2nd).
        for loader in discover():
            if loader.name in ("notice", "feedback"):
                break
            loader.load(db.session)
            db.session.commit()
    return app


def scaled(snapshot: dict[str, Any], halls: int) -> dict[str, Any]:
    """The snapshot with its hall lines (and each hall's findings) repeated until there are ``halls``."""
    big = copy.deepcopy(snapshot)
    lines = snapshot["results"]["halls"]
    out, findings = [], {}
    for n in range(halls):
        line = dict(lines[n % len(lines)])
        code = f"{line['code']}-{n // len(lines)}" if n >= len(lines) else line["code"]
        line.update(code=code, hall_id=100_000 + n, name=line["name"] if n < len(lines) else f"{line['name']}{n // len(lines)}")
        out.append(line)
        findings[code] = [{**f, "hall_code": code} for f in snapshot["findings"].get(lines[n % len(lines)]["code"], [])]
    ranked = sorted((h for h in out if h["assessed"]), key=lambda h: (h["rank"], h["code"]))
    big["results"]["halls"] = ranked + [h for h in out if not h["assessed"]]
    big["findings"] = findings
    return big


def cpu_time() -> float:
    """CPU seconds of this process and of the processes it waited for (a notice rendered in parts)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def best_of(runs: int, render: Any) -> tuple[float, float, bytes]:
    wall = cpu = float("inf")
    data = b""
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), cpu_time()
        data = render()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, cpu_time() - start_cpu)
    return wall, cpu, data


def measurements() -> Iterator[tuple[str, float, str, str]]:
    """``(figure, value, unit, note)`` rows."""
    from surveyapp import print_font
    from surveyapp.assessment import services as assessment
    from surveyapp.db import db
    from surveyapp.notices import demo as notice_demo
    from surveyapp.notices import queries, rendering

    app = demo_app()
    with app.app_context(), app.test_request_context():
        # As installed by `make run` (`flask pdf fonts`): built once, then only checked.
        start = time.perf_counter()
        built = print_font.build(app)
        note = "cutting Noto Sans CJK SC down to GB 2312, once per installation"
        yield ("print font, build" if any(b.new for b in built) else "print font, already built",
               time.perf_counter() - start, "s", f"{note}; " + "; ".join(f"{b.path.name}: {b.glyphs} glyphs, {b.size / 2**20:.1f} MB" for b in built))
        period = assessment.shift_period(assessment.current_period(), -1)
        start = time.perf_counter()
        notice_demo.load(db.session)  # publishes revision 1 on the 2nd of this month, as a market user would
        db.session.commit()
        revision = queries.latest_revision(db.session, period)
        halls = len(revision.snapshot["results"]["halls"])
        findings = sum(len(f) for f in revision.snapshot["findings"].values())
        yield (f"{halls}-hall notice, publishing", time.perf_counter() - start, "s",
               f"{findings} findings; assessment of 6 months, snapshot, PDF, release (first render in the process)")
        wall, cpu, data = best_of(5, lambda: rendering.notice_pdf(revision.snapshot))
        assert data == revision.pdf, "the same snapshot renders the same bytes"
        note = f"{plural(pages_of(data), 'page')}, {len(data) / 1024:.0f} KB, best of 5 (target: 1.0 s)"
        yield f"{halls}-hall notice, render time", wall, "s", note
        yield f"{halls}-hall notice, render CPU time", cpu, "s", "what a busy machine does not inflate"
        code = revision.snapshot["results"]["halls"][-1]["code"]
        wall, _, data = best_of(3, lambda: rendering.letter_pdf(revision.snapshot, code))
        yield "hall letter, render time", wall, "s", f"{plural(pages_of(data), 'page')}, best of 3"
        big = scaled(revision.snapshot, 1000)
        wall, cpu, data = best_of(1, lambda: rendering.notice_pdf(big))
        note = (f"{plural(pages_of(data), 'page')}, {len(data) / 1024:.0f} KB; body and annex in two processes on "
                f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} (target: 4 s)")
        yield "1000-hall notice, render time", wall, "s", note
        yield "1000-hall notice, render CPU time", cpu, "s", "both processes; what a busy machine does not inflate"


def bench_notices() -> Iterator[Any]:
    """For ``python -m tests.bench``."""
    from tests.bench import Figure

    for name, value, unit, note in measurements():
        yield Figure(name, "sqlite", value, unit, note)


def main() -> None:
    print(f"notices: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for name, value, unit, note in measurements():
        print(f"notices: {name}: {value:.2f} {unit} ({note})", flush=True)


if __name__ == "__main__":
    main()
