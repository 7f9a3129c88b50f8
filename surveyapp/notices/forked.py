"""A call run in a forked child process while this process goes on: publishing renders the notice's PDF there
while it releases the month's visits in its own transaction (:func:`surveyapp.notices.services.publish`).

The child is a copy of this process at the fork (the application, its context, the snapshot): it needs
nothing sent to it, and touches no database (the render reads the snapshot and photo files). It sends back
the call's result, or the error that stopped it, through a pipe.

No child outlives its parent: on Linux each asks the kernel for SIGKILL when the process that forked it dies
(``prctl(PR_SET_PDEATHSIG)``), and so does each process it forks in turn (the render forks its own part
renderers, :func:`surveyapp.pdf.render_parts`). A job worker killed mid-publish thus takes its renderers with
it, and its transaction, never committed, leaves nothing.
"""
from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger("surveyapp.notices")

T = TypeVar("T")

#: ``prctl`` option: the signal a process gets when the thread that forked it ends (linux/prctl.h).
PR_SET_PDEATHSIG = 1


class ForkedCallFailed(RuntimeError):
    """The call raised in the child, or the child died without answering; the message says which and why."""


class Forked(Generic[T]):
    """``function(*args)`` running in a forked child from now on; :meth:`result` waits for it, :meth:`cancel`
    stops it. Use it as a context manager: leaving the block stops a child not waited for."""

    def __init__(self, function: Callable[..., T], *args: Any) -> None:
        context = multiprocessing.get_context("fork")
        self._answers, answer = context.Pipe(duplex=False)
        # not daemonic: the child may fork part renderers of its own
        self._process = context.Process(target=_child, args=(answer, os.getpid(), function, args),
                                        name="surveyapp-forked", daemon=False)
        self._process.start()
        answer.close()  # the child holds the sending end now: its death ends the pipe
        self._done = False

    def result(self) -> T:
        """The call's result, once the child has sent it.

        :raise ForkedCallFailed: the call raised (its traceback is logged), or the child died first."""
        try:
            try:
                ok, value = self._answers.recv()
            except EOFError:
                self._process.join()
                raise ForkedCallFailed(f"the child process ended without an answer (exit code "
                                       f"{self._process.exitcode})") from None
            self._process.join()
        finally:
            self._done = True
            self._answers.close()
        if not ok:
            log.error("forked call failed:\n%s", value[1])
            raise ForkedCallFailed(value[0])
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stop the child if it still runs (the parent failed before it needed the result)."""
        if self._done:
            return
        self._done = True
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._answers.close()

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


def _child(answer: Any, parent: int, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    _die_with_parent(parent)
    _own_resources()
    me = os.getpid()
    # what this child forks (the render's part processes) dies with it in turn
    os.register_at_fork(after_in_child=lambda: _die_with_parent(me))
    try:
        outcome: tuple[bool, Any] = (True, function(*args))
    except BaseException as exc:  # noqa: BLE001 - whatever stops the call is the parent's to report
        outcome = (False, (f"{exc.__class__.__name__}: {exc}", traceback.format_exc()))
    answer.send(outcome)
    answer.close()


def _own_resources() -> None:
    """Keep the child off what it shares with its parent. The database connections are the parent's sockets,
    in use by its transaction: a query of the child (the templates' context loads the current user) must not
    be sent on them, so the child gets pools of its own and this context's session is dropped (the child's
    queries, if any, open their own connection). What the parent left for the garbage collector (a session,
    a connection) is never collected here: its finalizer would talk on the parent's socket."""
    from flask import g, has_app_context

    from surveyapp.db import db

    gc.freeze()
    if has_app_context():
        db.engine.dispose(close=False)  # new pools; the parent's connections are left to it, unclosed
        g.pop("_db_session", None)  # db.session makes a new one, on a connection of the child's own


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent (the thread of ``parent`` that forked it) dies
    (Linux; elsewhere nothing happens). If the parent died before the request was made, die now."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # libc's, in this process already
    except (OSError, AttributeError):
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
