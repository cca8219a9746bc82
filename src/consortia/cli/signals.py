"""Ctrl-C and SIGTERM during a solve: the first ends the search, the second aborts.

After the first signal every search of the process stops at its next check
(``backend.highs.request_stop``: MIP callbacks and every ``Deadline``), and the
command goes on to check and write the best plan found so far. A second signal
raises ``KeyboardInterrupt``; the atomic writer then leaves nothing behind.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from consortia.backend.highs import clear_stop, request_abort, request_stop, stop_requested

HANDLED = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_signals(say: Callable[[str], None]) -> Iterator[None]:
    """Within the block, the first SIGINT/SIGTERM requests a stop and the second aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop_requested():
            request_abort()
            raise KeyboardInterrupt
        request_stop()
        say(
            "Stopping: the best plan found so far will be checked and written "
            "(press Ctrl-C again to abort without writing)."
        )

    previous = {s: signal.signal(s, handle) for s in HANDLED}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        clear_stop()
