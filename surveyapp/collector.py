"""Pause Python's cyclic garbage collector around code that builds many small objects that all live
until it returns (a report's rows, the disclosure decision): each collection it would trigger walks
the whole application heap and frees nothing. Reference counting still frees everything as usual."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
