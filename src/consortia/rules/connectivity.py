"""Connectivity of a member set in the collaboration graph (spec rule 7), written once.

``neighbours`` is :attr:`consortia.data.instance.Instance.neighbours`: each organization's
collaborators, or None when the instance has no graph (then there is no restriction and
every member set counts as connected). Only edges between members of the set count.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from collections.abc import Set as AbstractSet
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

T = TypeVar("T", bound=Hashable)

Neighbours = Mapping[T, AbstractSet[T]]


def component(start: T, members: Collection[T], neighbours: Neighbours[T] | None) -> set[T]:
    """The members reachable from `start` through members only (`start` included)."""
    if neighbours is None:
        return set(members) | {start}
    allowed = members if isinstance(members, AbstractSet) else set(members)
    seen = {start}
    frontier = [start]
    while frontier:
        fresh = neighbours[frontier.pop()] & allowed
        fresh -= seen
        if fresh:
            seen |= fresh
            frontier.extend(fresh)
    return seen


def components(members: Collection[T], neighbours: Neighbours[T] | None) -> list[set[T]]:
    """The connected parts of `members`, in the order of their first member in `members`."""
    out: list[set[T]] = []
    allowed = set(members)
    done: set[T] = set()
    for o in members:
        if o not in done:
            part = component(o, allowed, neighbours)
            done |= part
            out.append(part)
    return out


def is_connected(members: Collection[T], neighbours: Neighbours[T] | None) -> bool:
    """Whether `members` induce a connected subgraph (a single member or none is connected)."""
    if neighbours is None or len(members) < 2:
        return True
    allowed = set(members)
    return len(component(next(iter(allowed)), allowed, neighbours)) == len(allowed)


def adjacency(items: list[T], neighbours: Neighbours[T] | None) -> sp.csr_matrix | None:
    """The graph among `items` as a symmetric boolean matrix in their order (None
    when there is no graph)."""
    if neighbours is None:
        return None
    pos = {o: i for i, o in enumerate(items)}
    rows: list[int] = []
    cols: list[int] = []
    for i, o in enumerate(items):
        for x in neighbours[o]:
            j = pos.get(x)
            if j is not None:
                rows.append(i)
                cols.append(j)
    n = len(items)
    return sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, n))
