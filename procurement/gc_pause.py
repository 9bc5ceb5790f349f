"""Python's cyclic garbage collector, paused around work that makes many acyclic objects.

Left running, it scans the young objects every 700 allocations, and a decode of thousands of
events or values makes little else: the scans cost a third of an audit's verification and a
quarter of a time-travel answer. Nothing that work makes holds a cycle, so there is next to
nothing to collect; the collector runs as usual once it resumes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
