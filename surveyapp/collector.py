"""Python's cycle collector, paused around work that makes many objects at once."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cycle collector for the block: work that allocates hundreds of thousands of objects without a cycle
    (a PDF's layout, a month of 5,000 halls computed or decoded) otherwise sets off full collections over everything
    the process holds, which cost as much as the work itself. Objects are still freed as they go; any cycle is
    collected when the collector runs again afterwards. Nested pauses keep it off until the outermost ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
