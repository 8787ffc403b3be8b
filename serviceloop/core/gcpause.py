"""Pausing Python's cyclic garbage collector around a batch job.

A batch that makes hundreds of thousands of short-lived tuples and rows (the periodic SLA check)
triggers the cyclic collector again and again, although reference counting frees all of it: the
collections cost a sixth of the run. Nested and concurrent pauses (huey runs tasks in threads) are
counted, so the collector comes back only when the last one ends, and only if it was on before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
