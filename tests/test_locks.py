"""Command locks: a second holder of a lock waits for the first (tests/feedback/test_two_hosts.py runs two
commands at once end to end)."""
from __future__ import annotations

import threading
import time

from surveyapp.locks import command_lock


def test_a_second_holder_waits_for_the_first(app):
    events: list[str] = []
    held = threading.Event()

    def first() -> None:
        with app.app_context(), command_lock("feedback remind"):
            events.append("first in")
            held.set()
            time.sleep(0.5)
            events.append("first out")

    def second() -> None:
        held.wait(10)
        with app.app_context(), command_lock("feedback remind"):
            events.append("second in")
        with app.app_context(), command_lock("users prune"):  # another name is another lock
            events.append("other lock")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert events == ["first in", "first out", "second in", "other lock"]
