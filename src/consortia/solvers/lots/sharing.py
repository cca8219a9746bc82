"""Work on an ordered list, shared between this process and a helper process.

Both take items from the front: this process one at a time, the helper in
batches submitted ahead (at most IN_FLIGHT at once), so that neither waits for
the other until the list is used up. Near the end the batches shrink so that
this process is not left idle behind a long batch. `wanted` is asked when an
item is taken (items already submitted are done anyway, so a limit it keeps may
be passed by at most the batches in flight).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
IN_FLIGHT = 2
BATCH = 8


def share_work(
    items: Sequence[T],
    here: Callable[[T], R],
    there: Callable[[list[T]], Future] | None,
    accept: Callable[[T, R], None],
    wanted: Callable[[T], bool] = lambda _: True,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Hand every wanted item to `here` (this process) or, in batches, to `there`
    (a submission to the helper whose future gives one result per item), each
    result to `accept` in this process, until the items are used up or `stop()`.
    Returns how many items the helper did."""
    position = 0
    pending: deque[tuple[list[T], Future]] = deque()
    by_helper = 0

    def take(n: int) -> list[T]:
        nonlocal position
        out: list[T] = []
        while position < len(items) and len(out) < n:
            item = items[position]
            position += 1
            if wanted(item):
                out.append(item)
        return out

    def collect() -> None:
        nonlocal by_helper
        chunk, future = pending.popleft()
        for item, result in zip(chunk, future.result(), strict=True):
            accept(item, result)
        by_helper += len(chunk)

    while True:
        while there is not None and len(pending) < IN_FLIGHT and not stop():
            chunk = take(max(1, min(BATCH, (len(items) - position) // 4)))
            if not chunk:
                break
            pending.append((chunk, there(chunk)))
        while pending and pending[0][1].done():
            collect()
        if stop():
            break
        one = take(1)
        if not one:
            break
        accept(one[0], here(one[0]))
    while pending:
        collect()
    return by_helper
