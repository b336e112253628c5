"""The global giant component of a partitioned run, chosen from every partition's summary.

Why union-find over the partitions' reports rebuilds the single run's components:
`lifecircle.scenarios.partition`, point 4.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..geodata.common import say
from ..geodata.network import WalkNetwork
from .partition_load import ComponentSummary, LoadedPartition


def component_summary(part: LoadedPartition) -> ComponentSummary:
    """The compact summary of a loaded partition (what travels to the client)."""
    return part.summary


def giant_components(summaries: list[ComponentSummary]) -> dict[int, np.ndarray]:
    """Local component labels that belong to the global giant component, per tile.

    Union-find (as connected components of a bipartite graph between local components and
    line keys) over every partition's reports; sizes are the nodes each tile owns.

    Raises
    ------
    RuntimeError
        When the two largest global components have exactly the same number of nodes.
    """
    offs = np.cumsum([0] + [s.n_components for s in summaries])
    n_pc = int(offs[-1])
    if n_pc == 0:
        return {s.tile: np.zeros(0, np.int64) for s in summaries}
    keys = np.concatenate([s.link_key for s in summaries]) if summaries else np.zeros(0, np.complex128)
    pcs = np.concatenate([s.link_comp + o for s, o in zip(summaries, offs[:-1], strict=True)])
    uk, kid = np.unique(keys, return_inverse=True)
    n = n_pc + len(uk)
    g = coo_matrix((np.ones(len(pcs)), (pcs, n_pc + kid.ravel())), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    sizes = np.bincount(lab[:n_pc], weights=np.concatenate([s.own_nodes for s in summaries]), minlength=n)
    order = np.argsort(sizes)[::-1]
    if len(order) > 1 and sizes[order[0]] == sizes[order[1]] and sizes[order[0]] > 0:
        raise RuntimeError(say("partition.giant_tie", "en", nodes=int(sizes[order[0]])))
    giant = order[0]
    return {
        s.tile: np.flatnonzero(lab[o : o + s.n_components] == giant)
        for s, o in zip(summaries, offs[:-1], strict=True)
    }


def finish_partition(part: LoadedPartition, keep_labels: np.ndarray | None) -> WalkNetwork:
    """The partition's network restricted to the given components (``None`` keeps all)."""
    net = part.net
    if keep_labels is None or net.n_nodes == 0:
        return net
    keep_node = np.isin(part.labels, keep_labels)
    return subset_network(net, keep_node)


def subset_network(net: WalkNetwork, keep_node: np.ndarray) -> WalkNetwork:
    """The network on the nodes flagged in ``keep_node`` (edges between kept nodes)."""
    keep_edge = keep_node[net.u] & keep_node[net.v]
    new_id = np.cumsum(keep_node) - 1
    return replace(
        net,
        x=np.ascontiguousarray(net.x[keep_node]),
        y=np.ascontiguousarray(net.y[keep_node]),
        u=new_id[net.u[keep_edge]].astype(np.int64),
        v=new_id[net.v[keep_edge]].astype(np.int64),
        length=net.length[keep_edge],
        highway=net.highway[keep_edge],
        geometry=net.geometry[keep_edge],
        way_id=net.way_id[keep_edge],
        name=net.name[keep_edge] if len(net.name) == net.n_edges else net.name,
    )
