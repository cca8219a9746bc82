"""Solves in parallel: worker processes on this machine or a Dask cluster.

``whatif`` and ``target`` hand their solves to :class:`Workers`: with one worker
each job runs in this process when submitted; with more, in ``spawn``-started
worker processes (HiGHS keeps threads that a forked child would not have); with
a scheduler address, on a Dask distributed cluster. A job is a module-level
function and one picklable argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import get_context
from types import TracebackType
from typing import Any


class Workers:
    """Where jobs run: `workers` processes, or the Dask cluster at `scheduler`."""

    def __init__(self, workers: int = 1, scheduler: str | None = None) -> None:
        self.workers, self.scheduler = max(1, workers), scheduler
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None

    def __enter__(self) -> Workers:
        if self.scheduler is not None:
            from distributed import Client

            self._client = Client(self.scheduler)
        elif self.workers > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=get_context("spawn")
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    @property
    def slots(self) -> int:
        """How many jobs may run at once (a cluster's threads, or the processes)."""
        if self._client is not None:
            return max(1, sum(self._client.nthreads().values()))
        return self.workers

    def submit(self, job: Callable[[Any], Any], argument: Any) -> Any:
        """Start `job(argument)`; a future (with one worker: already done)."""
        if self._client is not None:
            return self._client.submit(job, argument, pure=False)
        if self._pool is not None:
            return self._pool.submit(job, argument)
        done: Future[Any] = Future()
        try:
            done.set_result(job(argument))
        except Exception as exc:  # raised again by result(), as from a process
            done.set_exception(exc)
        return done

    def done(self, futures: Iterable[Any]) -> set[Any]:
        """Wait until at least one of `futures` is done; the ones that are."""
        pending = list(futures)
        if self._client is not None:
            from distributed import wait as dask_wait

            return set(dask_wait(pending, return_when="FIRST_COMPLETED").done)
        return set(wait(pending, return_when=FIRST_COMPLETED).done)

    def map(self, job: Callable[[Any], Any], arguments: list[Any]) -> Iterator[tuple[int, Any]]:
        """(index, result) of `job` on every argument, in the order they finish."""
        futures = {self.submit(job, a): i for i, a in enumerate(arguments)}
        while futures:
            for future in self.done(futures):
                yield futures.pop(future), future.result()
