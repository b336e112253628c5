"""Exact partitions of a study area: tiles, buffered network reads and the global giant component.

Why a partition gives exactly the single-process result
-------------------------------------------------------
The single-process run builds one network ``N`` from every walkable line of the source (cut by
the study clip), keeps its giant component, snaps demand and facilities to their nearest edges
and runs one multi-source search limited to ``L`` seconds (the largest threshold or map tier).
A partition owns the demand points of one tile ``T`` (half-open rectangles of a grid whose outer
tiles reach to infinity, so every point has exactly one owner) and builds its own network
``N_T``. Its times equal those of ``N`` for every owned point when four things hold.

1. **Reach stays in a disc.** No walk of ``L`` seconds ends farther than ``r = L · v_max`` in a
   straight line from where it began, where ``v_max`` is the fastest speed any edge allows: the
   profile's flat speed times ``max(1, steps_factor)``, times Tobler's largest factor
   ``exp(3.5 · 0.05) ≈ 1.19`` (downhill at −5 %) when a DEM is used. The access leg is walked
   at the flat speed, which is not faster. So every network position an owned point can reach,
   and the snapped position of every facility it can reach, lies within ``r`` of ``T``.
2. **Snapping sees the same edges.** An owned point snaps to the nearest edge within
   ``max_snap_m``; a facility whose snapped position lies within ``r`` of ``T`` stands within
   ``r + max_snap_m`` of ``T`` and its nearest edge within ``r + 2·max_snap_m``. The zone
   ``Y = T ⊕ (r + 2·max_snap_m + 1 m)`` therefore holds every edge that any relevant snap can
   choose. Facilities farther out may snap differently in ``N_T``, but their snapped positions
   then lie beyond ``r`` (within ``max_snap_m`` of a point more than ``r + max_snap_m`` away)
   and are never reached in time, and a piece end beyond ``r`` never gives the smaller of the
   two times of a point on its edge.
3. **Edges inside the zone are the very same edges.** ``N`` splits lines into edges at every
   vertex shared with another line. ``N_T`` is built from the lines that meet ``Y`` (ring 1)
   plus every line sharing a vertex with a ring-1 line (ring 2), so each vertex of a ring-1
   line has the same node status as in ``N`` and every edge of ``N`` that meets ``Y`` appears
   in ``N_T`` with the same vertices, hence the same length and times (lines are never cut at
   the zone; the source's own clip is the single run's clip). Ring-2 lines do not meet ``Y``,
   so their possibly coarser edges lie beyond reach. The metric CRS is fixed for all
   partitions and the single run (projection is per vertex, so coordinates agree bit for bit).
   Dijkstra's values are the fixed point ``d(v) = min_u d(u) + w(u, v)`` over nodes reached
   within ``L``, which depends only on those nodes and arcs, so they agree to the last bit.
4. **The same component is kept.** Whether an edge belongs to the giant component of ``N`` is
   not a local question, so it is answered globally in two steps: each partition labels the
   components of ``N_T`` and reports (a) per component the number of network nodes lying in
   its own tile — every line through such a node meets ``T ⊂ Y`` and is read, so the node's
   status is exact and each node of ``N`` is counted by exactly one tile — and (b) the key
   (first vertex) of every line that meets its closed tile and leaves its interior. Two lines
   sharing a vertex ``X`` are linked inside the partition whose tile holds ``X`` (both meet it);
   a line linked in two partitions meets both closed tiles and is reported by both, which ties
   the two local components together. Union-find over these reports therefore rebuilds the
   components of ``N`` exactly; the largest by node count is the giant (an exact tie in size,
   where ``N``'s choice depends on vertex order, is reported as an error rather than guessed).

Ties between equally near edges (a home whose nearest network point is a node shared by several
edges) are broken by the edges' end coordinates (`lifecircle.coverage.snapping`), not by index
order, so ``N`` and ``N_T`` pick the same edge and the times agree bit for bit. The single run must
also use the same metric CRS (the UTM zone of the study area; ``read_network`` picks the zone of the
mean vertex, the same zone unless the area straddles a zone border).

Where each part lives
---------------------
`partition_grid` (the tiles and the reach buffer: points 1–2), `partition_sources` (where lines
are read from; files through `lifecircle.geodata.sources`), `partition_synthetic` (a seeded city
for benchmarks and tests), `partition_load` (a tile's lines and network: point 3) and
`partition_components` (the global giant component: point 4). Every public name is importable
from here.
"""

from __future__ import annotations

from .partition_components import component_summary, finish_partition, giant_components, subset_network
from .partition_grid import MAX_TILES, SAFETY_M, TOBLER_MAX_FACTOR, TileGrid, parse_tiles, reach_margin_m
from .partition_load import ComponentSummary, LoadedPartition, load_partition
from .partition_sources import FileSource, LineSource
from .partition_synthetic import SyntheticGridSource

__all__ = [
    "MAX_TILES",
    "SAFETY_M",
    "TOBLER_MAX_FACTOR",
    "ComponentSummary",
    "FileSource",
    "LineSource",
    "LoadedPartition",
    "SyntheticGridSource",
    "TileGrid",
    "component_summary",
    "finish_partition",
    "giant_components",
    "load_partition",
    "parse_tiles",
    "reach_margin_m",
    "subset_network",
]
