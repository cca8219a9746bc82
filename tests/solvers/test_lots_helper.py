"""The helper process of the connected lot generation, and the work sharing.

The helper's screens, searches and settlements must be as honest as this
process's: checked in a real ``spawn``-started helper against enumeration of every
member set of random small graphs (``test_lots_connected``). ``share_work`` must
hand every wanted item to exactly one side and every result back.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context

import numpy as np
from test_lots_connected import _best_connected, _cases

from consortia.rules.connectivity import is_connected
from consortia.solvers.lots.helper import screen_batch, search_batch, settle_batch, start_helper
from consortia.solvers.lots.sharing import share_work


def test_share_work_gives_every_wanted_item_to_one_side_and_every_result_back() -> None:
    items = list(range(100))
    seen: dict[int, int] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        by_helper = share_work(
            items,
            lambda i: -i,
            lambda chunk: pool.submit(lambda c: [-i for i in c], chunk),
            lambda i, r: seen.__setitem__(i, seen.get(i, 0) + 1 + 1000 * (r != -i)),
            wanted=lambda i: i % 3 != 0,
        )
    assert seen == {i: 1 for i in items if i % 3 != 0}
    assert 0 < by_helper < len(seen)
    # alone, and stopped: nothing more is taken after the stop
    done: list[int] = []
    assert share_work(items, lambda i: i, None, lambda i, r: done.append(i)) == 0
    assert done == items
    done.clear()
    assert (
        share_work(
            items, lambda i: i, None, lambda i, r: done.append(i), stop=lambda: len(done) >= 5
        )
        == 0
    )
    assert done == items[:5]


def test_the_helper_screens_searches_and_settles_honestly() -> None:
    """In a spawned helper: screens bound the best connected lot from above, found
    lots are connected, in the windows and above tol, settlements bound the best
    lot from above."""
    graphs, eligible, volumes, tasks, truths, neighbours = [], {}, [], [], [], []
    for ci, seed in enumerate(range(0, 120, 5)):
        adj, nbrs, ok, d, subproblems = _cases(seed)
        graphs.append(adj)
        eligible[(ci, 0)] = ok
        volumes.append(d)
        neighbours.append(nbrs)
        for r, (w, window) in enumerate(subproblems):
            truth = _best_connected(w, d, window, nbrs)
            if np.isfinite(truth):
                for cost in (truth - 5.0, truth + 0.5):
                    tasks.append((ci, r, 0, w, window, cost))
                    truths.append(truth)
    tol, far = 0.1, time.time() + 600
    with ProcessPoolExecutor(
        max_workers=1,
        mp_context=get_context("spawn"),
        initializer=start_helper,
        initargs=(graphs, eligible, volumes),
    ) as helper:
        screened = helper.submit(screen_batch, tasks, far).result()
        searched = helper.submit(search_batch, [(t, None) for t in tasks], tol, far).result()
        settled = helper.submit(settle_batch, tasks, tol, far).result()
        late = helper.submit(settle_batch, tasks[:3], tol, time.time() - 1).result()
    assert late == [None, None, None]  # past its time: nothing settled, nothing claimed
    found = 0
    for task, truth, (ub, _, certificate), members, answer in zip(
        tasks, truths, screened, searched, settled, strict=True
    ):
        ci, _, _, w, (nlo, nhi, vlo, vhi), cost = task
        scale = 1e-6 * (1.0 + float(np.abs(w[np.isfinite(w)]).sum()))
        assert ub >= truth - cost - scale
        # the certificate came back with it and bounds at the values screened
        assert certificate is not None
        assert certificate.bound(w[np.nonzero(eligible[(ci, 0)])[0]]) >= truth - scale
        if members is not None:
            found += 1
            chosen = members.tolist()
            assert is_connected(chosen, neighbours[ci])
            assert nlo <= len(chosen) <= nhi
            assert vlo - 1e-9 <= float(volumes[ci][chosen].sum()) <= vhi + 1e-9
            assert float(w[chosen].sum()) - cost > tol
        assert answer is not None
        rc, _, _ = answer
        assert rc >= truth - cost - scale
    assert found > 20
