"""The notice renders in a forked process while publishing goes on (surveyapp.notices.forked): its result or
its error comes back, and no renderer outlives the process that started it (a job worker killed mid-publish)."""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role, User
from surveyapp.notices.forked import Forked, ForkedCallFailed


def _pdf_like(size: int) -> bytes:
    return b"%PDF" + bytes(size)


def _broken() -> bytes:
    raise ValueError("no font for 营业厅")


def test_the_result_comes_back_whole():
    with Forked(_pdf_like, 5_000_000) as render:  # bigger than a pipe's buffer
        assert render.result() == _pdf_like(5_000_000)


def test_an_error_in_the_child_is_raised_in_the_parent_with_what_happened():
    with Forked(_broken) as render, pytest.raises(ForkedCallFailed, match="ValueError: no font for 营业厅"):
        render.result()


def test_a_child_that_dies_without_answering_is_an_error():
    with Forked(os._exit, 3) as render, pytest.raises(ForkedCallFailed, match="exit code 3"):
        render.result()


def _sleep_forking(pids: multiprocessing.Queue) -> None:
    """In the child: fork a grandchild (as the render forks its part renderers), then both sleep."""
    grandchild = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    grandchild.start()
    pids.put(grandchild.pid)
    time.sleep(60)


def _publisher(pids: multiprocessing.Queue) -> None:
    """In a process playing the job worker: start the render, then wait for it."""
    with Forked(_sleep_forking, pids) as render:
        pids.put(render._process.pid)
        render.result()


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_no_renderer_outlives_a_worker_killed_with_sigkill():
    context = multiprocessing.get_context("fork")
    pids: multiprocessing.Queue = context.Queue()
    worker = context.Process(target=_publisher, args=(pids,))
    worker.start()
    children = sorted([pids.get(timeout=30), pids.get(timeout=30)])
    assert all(alive(pid) for pid in children)
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(10)
    deadline = time.monotonic() + 10  # they sleep a minute unless the kernel kills them with their parent
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in children)


def test_leaving_the_block_early_stops_the_child():
    with Forked(time.sleep, 60) as render:
        pid = render._process.pid
    assert not alive(pid)


def _own_connection(parents: int) -> tuple[bool, int]:
    from surveyapp.db import db

    mine = db.session.connection().connection.dbapi_connection
    return id(mine) != parents, db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_the_child_queries_on_a_connection_of_its_own(app, make_user):
    """The templates' context may query (the current user): never on the parent's connection, which its
    transaction is using at the same moment (the release)."""
    from surveyapp.db import db

    make_user(Role.MARKET)
    db.session.commit()
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    parents = db.session.connection().connection.dbapi_connection
    with Forked(_own_connection, id(parents)) as child:
        for _ in range(50):  # the parent talks on its connection meanwhile
            assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users
        assert child.result() == (True, users)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users
