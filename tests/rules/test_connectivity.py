"""The one connectivity helper (consortia.rules.connectivity) against networkx."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from consortia.rules.connectivity import component, components, is_connected


def _random_graph(rng: random.Random) -> dict[str, frozenset[str]]:
    n = rng.randint(1, 12)
    nodes = [f"O{i}" for i in range(n)]
    density = rng.choice([0.0, 0.1, 0.2, 0.35, 0.6, 1.0])
    adj: dict[str, set[str]] = {o: set() for o in nodes}
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            if rng.random() < density:
                adj[a].add(b)
                adj[b].add(a)
    return {o: frozenset(k) for o, k in adj.items()}


def _induced(neighbours: dict[str, frozenset[str]], members: list[str]) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(members)
    inside = set(members)
    graph.add_edges_from((a, b) for a in inside for b in neighbours[a] & inside)
    return graph


@pytest.mark.parametrize("chunk", range(4))
def test_helpers_match_networkx_on_random_graphs(chunk: int) -> None:
    for seed in range(chunk, 2000, 4):
        rng = random.Random(seed)
        neighbours = _random_graph(rng)
        nodes = sorted(neighbours)
        members = rng.sample(nodes, rng.randint(1, len(nodes)))
        graph = _induced(neighbours, members)

        assert is_connected(members, neighbours) == nx.is_connected(graph), seed
        assert is_connected(tuple(members), neighbours) == nx.is_connected(graph), seed

        parts = components(members, neighbours)
        expected = {frozenset(c) for c in nx.connected_components(graph)}
        assert {frozenset(p) for p in parts} == expected, seed
        assert len(parts) == len(expected), seed
        # parts come in the order of their first member in `members`
        firsts = [next(o for o in members if o in p) for p in parts]
        assert firsts == sorted(firsts, key=members.index), seed

        start = rng.choice(members)
        assert component(start, set(members), neighbours) == nx.node_connected_component(
            graph, start
        ), seed
        assert component(start, members, neighbours) == nx.node_connected_component(graph, start), (
            seed
        )


def test_component_from_a_start_outside_the_set() -> None:
    """candidates.py asks for the component of a representative through `later` only."""
    neighbours = {
        "a": frozenset({"b"}),
        "b": frozenset({"a", "c"}),
        "c": frozenset({"b", "d"}),
        "d": frozenset({"c"}),
    }
    assert component("a", {"b", "c"}, neighbours) == {"a", "b", "c"}
    assert component("a", {"c", "d"}, neighbours) == {"a"}


def test_without_a_graph_everything_is_connected() -> None:
    assert is_connected(["a", "b", "c"], None)
    assert components(["a", "b"], None) == [{"a", "b"}]
    assert component("a", ["b"], None) == {"a", "b"}


def test_small_and_repeated_sets() -> None:
    neighbours = {"a": frozenset(), "b": frozenset()}
    assert is_connected([], neighbours)
    assert is_connected(["a"], neighbours)
    assert is_connected(["a", "a"], neighbours)
    assert not is_connected(["a", "b"], neighbours)
    assert components(["b", "a", "b"], neighbours) == [{"b"}, {"a"}]
