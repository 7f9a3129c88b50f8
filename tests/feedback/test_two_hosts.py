"""Two app servers' cron start the same command at the same moment: one runs, the other waits for it and
then finds the work done; nothing is done twice and neither fails."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from surveyapp.db import db
from surveyapp.notifications.models import Notification

ROOT = Path(__file__).resolve().parents[2]


def test_reminders_started_on_two_hosts_at_once_go_out_once(app, released, tmp_path):
    released()
    environment = {**os.environ, "SURVEYAPP_DATABASE_URL": app.config["DATABASE_URL"],
                   "SURVEYAPP_SECRET_KEY": "test-secret", "SURVEYAPP_INSTANCE_PATH": str(tmp_path),
                   "SURVEYAPP_FROZEN_NOW": "2026-11-06T08:00:00+08:00", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "flask", "--app", "surveyapp", "feedback", "remind", "--days", "1"]
    hosts = [subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(2)]
    outputs = [host.communicate(timeout=120)[0] for host in hosts]
    assert [host.returncode for host in hosts] == [0, 0], outputs
    assert sorted(line for out in outputs for line in out.splitlines() if "reminder" in line) == [
        "0 reminder(s) sent", "1 reminder(s) sent"]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.kind == "due_soon")) == 1
