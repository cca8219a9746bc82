"""Memory: the limit of a solve, what is left under it, and the peak so far."""

from __future__ import annotations

import os
import resource


def machine_gib() -> float:
    """The machine's physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def resident_gib() -> float:
    """Memory this process holds now (resident set)."""
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (OSError, ValueError, IndexError):
        return peak_mib() / 1024


def room_gib(limit: float | None) -> float:
    """What a model may still take: the limit (default: the machine) less what is held."""
    return max(0.0, (machine_gib() if limit is None else limit) - resident_gib())


def peak_mib() -> float:
    """The largest resident set of this process or of a finished worker process."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, workers) / 1024  # ru_maxrss is in KiB on Linux
