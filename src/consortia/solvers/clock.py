"""One clock per solve (:class:`Deadline`) and typed timings (:class:`Timings`)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

import highspy

from consortia.backend.highs import set_time_limit, stop_requested


class Deadline:
    """The end of a solve's time, or none. Every time limit of a solve is read here."""

    def __init__(self, seconds: float | None, started: float | None = None):
        self.started = time.perf_counter() if started is None else started
        self.end = None if seconds is None else self.started + seconds

    @property
    def unlimited(self) -> bool:
        return self.end is None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def remaining(self) -> float | None:
        """Seconds left (never negative), None without a limit."""
        return None if self.end is None else max(0.0, self.end - time.perf_counter())

    def expired(self, margin: float = 0.0) -> bool:
        """True when less than `margin` seconds are left, or a stop was requested
        (Ctrl-C: ``backend.highs.request_stop``)."""
        if stop_requested():
            return True
        left = self.remaining()
        return left is not None and left <= margin

    def limit(self, floor: float = 0.05) -> float | None:
        """The time limit to hand a solver call: what is left, at least `floor`."""
        left = self.remaining()
        return None if left is None else max(floor, left)

    def apply(self, highs: highspy.Highs, floor: float = 0.05) -> None:
        """Give a HiGHS model the time that is left (nothing without a limit)."""
        left = self.limit(floor)
        if left is not None:
            set_time_limit(highs, left)

    def share(self, fraction: float) -> Deadline:
        """A deadline that ends after `fraction` of the time now left."""
        left = self.remaining()
        return Deadline(None if left is None else fraction * left)

    def capped(self, seconds: float) -> Deadline:
        """A deadline that ends `seconds` from now, or at this one's end if earlier."""
        left = self.remaining()
        return Deadline(seconds if left is None else min(seconds, left))

    def wall(self) -> float:
        """The end as ``time.time()`` (what another process can compare with; +inf
        without a limit)."""
        left = self.remaining()
        return math.inf if left is None else time.time() + left


@dataclass
class Timings:
    """Seconds per stage, each stage either model building (candidate sets, models,
    hand-off to the solver) or search (LPs, pricing, MILPs, read-back)."""

    building: dict[str, float] = field(default_factory=dict)
    search: dict[str, float] = field(default_factory=dict)

    @property
    def build_seconds(self) -> float:
        return math.fsum(self.building.values())

    @property
    def search_seconds(self) -> float:
        return math.fsum(self.search.values())

    def add_building(self, stage: str, seconds: float) -> None:
        self.building[stage] = self.building.get(stage, 0.0) + seconds

    def add_search(self, stage: str, seconds: float) -> None:
        self.search[stage] = self.search.get(stage, 0.0) + seconds

    def building_stage(self, stage: str) -> AbstractContextManager[None]:
        """Time a block as model building."""
        return _timed(self.add_building, stage)

    def search_stage(self, stage: str) -> AbstractContextManager[None]:
        """Time a block as search."""
        return _timed(self.add_search, stage)

    def as_dict(self) -> dict[str, object]:
        return {
            "build_seconds": round(self.build_seconds, 6),
            "search_seconds": round(self.search_seconds, 6),
            "building": {k: round(v, 6) for k, v in self.building.items()},
            "search": {k: round(v, 6) for k, v in self.search.items()},
        }


@contextmanager
def _timed(add: Callable[[str, float], None], stage: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        add(stage, time.perf_counter() - began)
