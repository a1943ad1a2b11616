"""Walking a directed graph given as a mapping of each node to its neighbours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def reachable(starts: Iterable[str], edges: Mapping[str, Sequence[str]]) -> set[str]:
    """The starts and every node reachable from them (a node without edges ends a path)."""
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen
