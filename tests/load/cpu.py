"""Where the machine's CPU goes during a load run: every process the suite started (found as descendants of
this one and named by their command line) and the PostgreSQL backends serving the suite's database, sampled
once a second from ``/proc`` so that processes killed by a fault still count up to their last sample."""
from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
#: Command-line fragment -> component, first match wins.
COMPONENTS = [
    ("gunicorn", "web hosts (gunicorn, 2 x 2 workers)"),
    ("jobs worker", "job worker"),
    ("tests.load.net", "balancer and proxies"),
    ("moto", "object store (moto)"),
    ("redis-server", "queue (Redis)"),
]
LOAD_GENERATOR = "load generator (this process: clients and checks)"
DATABASE = "PostgreSQL (backends of the suite's database)"


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK  # utime + stime (children count themselves)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Sampler:
    """Samples until :meth:`stop`; :meth:`seconds` gives CPU seconds per component since :meth:`start`."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.seen: dict[int, tuple[str, float]] = {}  # pid -> (component, CPU seconds at its latest sample)
        self.first: dict[int, float] = {}  # pid -> CPU seconds when first seen (work before the run excluded)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.sample()
        self.thread.start()

    def stop(self) -> None:
        self.done.set()
        self.thread.join()
        self.sample()

    def _run(self) -> None:
        while not self.done.wait(1.0):
            self.sample()

    def sample(self) -> None:
        me = os.getpid()
        stats = {int(p): s for p in os.listdir("/proc") if p.isdigit() and (s := _stat(int(p))) is not None}
        for pid, (_parent, cpu) in stats.items():
            component = self._component(pid, me, stats)
            if component is None:
                continue
            self.first.setdefault(pid, cpu)
            self.seen[pid] = (component, cpu)

    def _component(self, pid: int, me: int, stats: dict[int, tuple[int, float]]) -> str | None:
        if pid in self.seen:
            return self.seen[pid][0]
        if pid == me:
            return LOAD_GENERATOR
        command = _cmdline(pid)
        if command.startswith("postgres:") and f" {self.database} " in command:
            return DATABASE
        ancestor, hops = stats.get(pid, (0, 0.0))[0], 0
        while ancestor not in (me, 0, 1) and hops < 20:
            ancestor, hops = stats.get(ancestor, (0, 0.0))[0], hops + 1
        if ancestor != me:
            return None
        return next((name for fragment, name in COMPONENTS if fragment in command), "other")

    def seconds(self) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for pid, (component, cpu) in self.seen.items():
            totals[component] += cpu - self.first[pid]
        return dict(sorted(totals.items(), key=lambda item: -item[1]))
