"""Run a ``flask`` command in a process of its own with standard error on a pseudo-terminal (as a person at a
terminal sees it) and standard output on a pipe (as a script reading ``--json`` sees it)."""
from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Flask

#: The test app's settings a command in another process needs to reach the same data.
PASSED = ("DATABASE_URL", "SECRET_KEY", "FROZEN_NOW", "COMPANY_NAME", "UPLOAD_FOLDER", "JOBS_URL")


def run_on_terminal(app: Flask, args: list[str], instance: Path, timeout: float = 120) -> tuple[int, str, str]:
    """``flask ARGS`` on the test app's database: ``(exit code, standard output, what the terminal showed)``."""
    env = {**os.environ, "SURVEYAPP_INSTANCE_PATH": str(instance), "COLUMNS": "100"}
    for name in PASSED:
        if app.config.get(name) is not None:
            env[f"SURVEYAPP_{name}"] = str(app.config[name])
    master, slave = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "surveyapp", *args], env=env,
                               stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
                               cwd=Path(__file__).parent.parent)
    os.close(slave)
    shown = bytearray()
    out = bytearray()
    assert process.stdout is not None
    streams: list[Any] = [master, process.stdout.fileno()]
    while streams:
        ready, _, _ = select.select(streams, [], [], timeout)
        if not ready:
            process.kill()
            raise TimeoutError(f"flask {' '.join(args)} did not finish in {timeout} s")
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal's other side closed (Linux reports EIO)
                chunk = b""
            if not chunk:
                streams.remove(fd)
            else:
                (shown if fd == master else out).extend(chunk)
    os.close(master)
    process.stdout.close()
    return process.wait(timeout), out.decode(), shown.decode(errors="replace")
