"""Coverage benchmark: this engine against the OSMnx-example approach, pandana and the bare scipy floor.

Same instance four ways, each case in its own subprocess under ``/usr/bin/time -v`` so its peak
memory is measured. Prints a table (wall seconds, median of ``--runs``; peak RSS; covered share
and its distance from this engine's exact reach).

Instances
---------
SP   central São Paulo (``../shared/data/saopaulo``): hexgrid population as demand, hexes
     with schools as facilities, 15 minutes at 0.9 m/s (810 m), no steps penalty.
YZ   Yuzhong (``../shared/data/chongqing``): building centroids as demand (116,300 people aged
     60+ spread by footprint), 68 building centroids drawn with seed 68 as facilities, 10
     minutes at 0.9 m/s (540 m), no steps penalty.
CITY the synthetic grid city of ``synthetic.py`` (1,000,000 nodes, 2,000 facilities,
     200,000 demand points by default), 15 minutes at 0.9 m/s, steps at half speed.

Usage::

    .venv/bin/python benchmarks/bench_coverage.py                 # both instances
    .venv/bin/python benchmarks/bench_coverage.py --instances sp --runs 3
    .venv/bin/python benchmarks/bench_coverage.py --instances city --nodes 200000
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"
SPEED = 0.9
#: Walking threshold of each instance, seconds (the worker sets THRESHOLD_S and RADIUS_M).
THRESHOLDS = {"sp": 900.0, "yz": 600.0, "city": 900.0}
THRESHOLD_S = 900.0
RADIUS_M = THRESHOLD_S * SPEED  # 810 m


# ---------------------------------------------------------------------------------------------
# instances


def load_sp():
    import pandas as pd
    import pyproj

    from lifecircle.geodata.sources import read_network

    net = read_network(SHARED / "saopaulo" / "spo_osm.pbf")
    hexes = pd.read_csv(SHARED / "saopaulo" / "spo_hexgrid.csv")
    tr = pyproj.Transformer.from_crs(4326, net.crs, always_xy=True)
    x, y = tr.transform(hexes["lon"].to_numpy(), hexes["lat"].to_numpy())
    x, y = np.asarray(x), np.asarray(y)
    fac = hexes["schools"].to_numpy() > 0
    return {
        "net": net,
        "dx": x,
        "dy": y,
        "w": hexes["population"].to_numpy(dtype=float),
        "fx": x[fac],
        "fy": y[fac],
        "unit": np.zeros(len(x), dtype=np.int64),
        "steps_factor": 1.0,
    }


def load_yz():
    import geopandas as gpd

    from lifecircle.geodata.sources import read_network

    net = read_network(SHARED / "chongqing" / "osm_roads_yuzhong.geojson")
    b = gpd.read_file(SHARED / "chongqing" / "osm_buildings_yuzhong.geojson").to_crs(net.crs)
    b = b.loc[b.geometry.notna() & ~b.geometry.is_empty].reset_index(drop=True)
    area = b.geometry.area.to_numpy()
    c = b.geometry.centroid
    x, y = c.x.to_numpy(), c.y.to_numpy()
    sites = np.random.default_rng(68).choice(len(b), 68, replace=False)
    return {
        "net": net,
        "dx": x,
        "dy": y,
        "w": 116_300 * area / area.sum(),  # Yuzhong's 60+ (7th census) spread by footprint
        "fx": x[sites],
        "fy": y[sites],
        "unit": np.zeros(len(x), dtype=np.int64),
        "steps_factor": 1.0,
    }


def load_city(n_nodes: int, n_fac: int, n_dem: int):
    sys.path.insert(0, str(HERE))
    from synthetic import grid_city

    c = grid_city(n_nodes, n_fac, n_dem, seed=42)
    return {
        "net": c.net,
        "dx": c.dx,
        "dy": c.dy,
        "w": c.population,
        "fx": c.fx,
        "fy": c.fy,
        "unit": c.unit,
        "steps_factor": 0.5,
    }


# ---------------------------------------------------------------------------------------------
# the four approaches (each returns steps [(name, seconds)], share, note)


def _fresh_caches():
    from lifecircle.coverage import isochrones, routing, snapping

    snapping._TREES.clear()
    routing._BASE.clear()
    isochrones._VERTS.clear()


def run_engine(inst):
    """Snapping (index built) + walking times + one multi-source search + covered share."""
    from lifecircle.coverage.profiles import WalkProfile, edge_costs
    from lifecircle.coverage.reach import service_reach
    from lifecircle.coverage.snapping import snap_points

    _fresh_caches()
    net = inst["net"]
    t0 = time.perf_counter()
    ds = snap_points(net, (inst["dx"], inst["dy"]))
    fs = snap_points(net, (inst["fx"], inst["fy"]))
    t1 = time.perf_counter()
    costs = edge_costs(net, WalkProfile("bench", SPEED, inst["steps_factor"]))
    r = service_reach(net, ds, fs, costs=costs, limit_s=THRESHOLD_S)
    share = r.share(THRESHOLD_S, inst["w"])
    t2 = time.perf_counter()
    # further services on the same network and profile reuse the network's search graph
    # (median of 3, as for the floor's search)
    cached = []
    for _ in range(3):
        s0 = time.perf_counter()
        r = service_reach(net, ds, fs, costs=costs, limit_s=THRESHOLD_S)
        share = r.share(THRESHOLD_S, inst["w"])
        cached.append(time.perf_counter() - s0)
    # for the note only: the share if the access leg were not walked (as the peers do)
    r2 = service_reach(net, ds, fs, costs=costs, limit_s=2 * THRESHOLD_S)
    no_access = float(inst["w"][(r2.time_s - r2.access_s) <= THRESHOLD_S].sum() / inst["w"].sum())
    return (
        [
            ("snap demand+facilities (STRtree built)", t1 - t0),
            ("reach + share (search graph built)", t2 - t1),
            ("reach + share (search graph of the profile cached)", statistics.median(cached)),
            ("TOTAL -> covered share", t2 - t0),
        ],
        share,
        f"access leg walked; {no_access:.4f} without it; {ds.n_off_network} demand off-network",
    )


def run_engine_polys(inst, width_m: float = 50.0):
    """Per-service polygon of the threshold tier, from the reach result."""
    from lifecircle.coverage.isochrones import service_isochrones
    from lifecircle.coverage.profiles import WalkProfile, edge_costs
    from lifecircle.coverage.reach import service_reach

    net = inst["net"]
    costs = edge_costs(net, WalkProfile("bench", SPEED, inst["steps_factor"]))
    r = service_reach(
        net, (inst["dx"], inst["dy"]), (inst["fx"], inst["fy"]), costs=costs, limit_s=THRESHOLD_S
    )
    from lifecircle.coverage import isochrones

    isochrones._VERTS.clear()
    t0 = time.perf_counter()
    gdf = service_isochrones(r, net, minutes=[THRESHOLD_S / 60], width_m=width_m)
    t1 = time.perf_counter()
    row = gdf.iloc[0]
    return (
        [(f"service polygon, cut edges, {width_m:g} m", t1 - t0)],
        None,
        f"{row['area_m2'] / 1e6:.2f} km2; {row['reached_length_m'] / 1000:.1f} km reached, "
        f"{row['inside_share']:.4f} inside",
    )


def run_engine_whole(inst):
    """Whole run: snapping, reach, demand x facility matrix, service polygon, aggregation."""
    from lifecircle.coverage.isochrones import service_isochrones
    from lifecircle.coverage.profiles import WalkProfile, edge_costs
    from lifecircle.coverage.reach import reach_matrix, service_reach
    from lifecircle.coverage.snapping import snap_points

    _fresh_caches()
    net = inst["net"]
    steps = []
    t = time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        steps.append((name, now - t))
        t = now

    ds = snap_points(net, (inst["dx"], inst["dy"]))
    fs = snap_points(net, (inst["fx"], inst["fy"]))
    lap("snap")
    costs = edge_costs(net, WalkProfile("bench", SPEED, inst["steps_factor"]))
    r = service_reach(net, ds, fs, costs=costs, limit_s=THRESHOLD_S)
    lap("reach")
    m = reach_matrix(net, ds, fs, limit_s=THRESHOLD_S, costs=costs, graph=r.graph)
    lap(f"matrix ({m.nnz:,} entries)")
    service_isochrones(r, net, minutes=[THRESHOLD_S / 60])
    lap("service polygon")
    # indicators-like aggregation: coverage per unit, weighted time quantiles, 2SFCA ratios
    w = inst["w"]
    cov = r.time_s <= THRESHOLD_S
    units, uidx = np.unique(inst["unit"], return_inverse=True)
    per_unit = np.bincount(uidx, w * cov, len(units)) / np.maximum(np.bincount(uidx, w, len(units)), 1e-9)
    o = np.argsort(r.time_s[cov])
    cw = np.cumsum(w[cov][o]) / w[cov].sum()
    median_t = r.time_s[cov][o][np.searchsorted(cw, 0.5)]
    supply = np.ones(m.shape[1])
    demand_in_reach = m.T.astype(bool) @ w
    ratio = np.divide(supply, demand_in_reach, out=np.zeros_like(supply), where=demand_in_reach > 0)
    access = m.astype(bool) @ ratio
    lap("aggregation")
    total = sum(s for _, s in steps)
    steps.append(("TOTAL whole run", total))
    share = r.share(THRESHOLD_S, w)
    return (
        steps,
        share,
        (
            f"{len(units)} units, unit shares {per_unit.min():.2f}–{per_unit.max():.2f}; median time of "
            f"the covered {median_t:.0f} s; 2SFCA mean {access.mean():.2e}"
        ),
    )


def _nearest_nodes(net, x, y):
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([net.x, net.y]))
    return tree.query(np.column_stack([x, y]))[1]


def _min_csr(net, w_fwd, w_back):
    from scipy.sparse import csr_matrix

    rows = np.concatenate([net.u, net.v])
    cols = np.concatenate([net.v, net.u])
    w = np.concatenate([w_fwd, w_back])
    keep = rows != cols
    rows, cols, w = rows[keep], cols[keep], w[keep]
    o = np.lexsort((w, cols, rows))
    rows, cols, w = rows[o], cols[o], w[o]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
    return csr_matrix((w[first], (rows[first], cols[first])), shape=(net.n_nodes, net.n_nodes))


def run_floor(inst):
    """Bare scipy: CSR from the edge arrays, one multi-source Dijkstra from facility nodes."""
    from scipy.sparse.csgraph import dijkstra

    net = inst["net"]
    t0 = time.perf_counter()
    dn = _nearest_nodes(net, inst["dx"], inst["dy"])
    fn = np.unique(_nearest_nodes(net, inst["fx"], inst["fy"]))
    t1 = time.perf_counter()
    t = net.length / SPEED
    t = np.where(net.highway == "steps", t / inst["steps_factor"], t)
    g = _min_csr(net, t, t)
    t2 = time.perf_counter()
    searches = []
    for _ in range(3):  # median of 3
        s0 = time.perf_counter()
        d = dijkstra(g, directed=True, indices=fn, min_only=True, limit=THRESHOLD_S)
        share = float(inst["w"][d[dn] <= THRESHOLD_S].sum() / inst["w"].sum())
        searches.append(time.perf_counter() - s0)
    return (
        [
            ("nearest-node snap (cKDTree)", t1 - t0),
            ("edge arrays -> CSR", t2 - t1),
            ("multi-source dijkstra -> share", statistics.median(searches)),
        ],
        share,
        "demand and facilities moved to their nearest node, snap leg not walked",
    )


def run_pandana(inst):
    """pandana: contraction hierarchy, POIs, nearest_pois."""
    import pandana as pdna
    import pandas as pd

    net = inst["net"]
    length = np.where(net.highway == "steps", net.length / inst["steps_factor"], net.length)
    t0 = time.perf_counter()
    pn = pdna.Network(
        pd.Series(net.x),
        pd.Series(net.y),
        pd.Series(net.u),
        pd.Series(net.v),
        pd.DataFrame({"length": length}),
        twoway=True,
    )
    t1 = time.perf_counter()
    pn.precompute(RADIUS_M)
    t2 = time.perf_counter()
    pn.set_pois("fac", RADIUS_M, 1, pd.Series(inst["fx"]), pd.Series(inst["fy"]))
    near = pn.nearest_pois(RADIUS_M, "fac", num_pois=1, include_poi_ids=True)
    nodes = pn.get_node_ids(pd.Series(inst["dx"]), pd.Series(inst["dy"]))
    reached = near["poi1"].notna().to_numpy()
    pos = near.index.get_indexer(nodes.to_numpy())
    share = float(inst["w"][reached[pos]].sum() / inst["w"].sum())
    t3 = time.perf_counter()
    return (
        [
            ("Network() (contraction hierarchy)", t1 - t0),
            ("precompute", t2 - t1),
            ("set_pois+nearest_pois+get_node_ids -> share", t3 - t2),
            ("TOTAL build+query", t3 - t0),
        ],
        share,
        "nearest-node snap, snap leg not walked",
    )


def _nx_graph(net):
    import networkx as nx

    G = nx.MultiGraph()
    G.add_nodes_from(
        (i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(zip(net.x, net.y, strict=True))
    )
    G.add_edges_from(
        (int(u), int(v), {"length": float(ln), "geometry": g})
        for u, v, ln, g in zip(net.u, net.v, net.length, net.geometry, strict=True)
    )
    return G


def _osmnx_polygons(G, subgraphs):  # noqa: N803 (the examples' name)
    """make_iso_polys of the OSMnx examples (infill=False) per facility, then their union."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import LineString, Point

    polys = []
    for sub in subgraphs:
        node_points = [Point((d["x"], d["y"])) for _, d in sub.nodes(data=True)]
        nodes_gdf = gpd.GeoDataFrame({"id": list(sub.nodes)}, geometry=node_points).set_index("id")
        edge_lines = []
        for n_fr, n_to in sub.edges():
            f = nodes_gdf.loc[n_fr].geometry
            t = nodes_gdf.loc[n_to].geometry
            edge_lines.append(G.get_edge_data(n_fr, n_to)[0].get("geometry", LineString([f, t])))
        n = nodes_gdf.buffer(50).geometry
        e = gpd.GeoSeries(edge_lines).buffer(25).geometry
        polys.append(gpd.GeoSeries(list(n) + list(e)).union_all())
    return shapely.union_all(polys)


def run_osmnx_example(inst):
    """OSMnx examples (notebook 13): ego_graph per facility, buffer nodes 50 m and edges 25 m, union."""
    import networkx as nx
    import shapely

    net = inst["net"]
    G = _nx_graph(net)
    t0 = time.perf_counter()
    centres = _nearest_nodes(net, inst["fx"], inst["fy"])
    subgraphs = [nx.ego_graph(G, int(c), radius=RADIUS_M, distance="length") for c in centres]
    t1 = time.perf_counter()
    iso = _osmnx_polygons(G, subgraphs)
    t2 = time.perf_counter()
    shapely.prepare(iso)
    inside = shapely.contains_xy(iso, inst["dx"], inst["dy"])
    share = float(inst["w"][inside].sum() / inst["w"].sum())
    t3 = time.perf_counter()
    return (
        [
            ("ego_graph x facilities", t1 - t0),
            ("buffer+union polygons", t2 - t1),
            ("point-in-polygon", t3 - t2),
            ("TOTAL -> covered share", t3 - t0),
        ],
        share,
        f"{iso.area / 1e6:.2f} km2",
    )


def run_polys_pair(inst, repeats: int = 3):
    """Service polygon of this engine and the OSMnx-example buffer-and-union, timed alternately."""
    import networkx as nx

    from lifecircle.coverage import isochrones
    from lifecircle.coverage.isochrones import service_isochrones
    from lifecircle.coverage.profiles import WalkProfile, edge_costs
    from lifecircle.coverage.reach import service_reach

    net = inst["net"]
    costs = edge_costs(net, WalkProfile("bench", SPEED, inst["steps_factor"]))
    r = service_reach(
        net, (inst["dx"], inst["dy"]), (inst["fx"], inst["fy"]), costs=costs, limit_s=THRESHOLD_S
    )
    G = _nx_graph(net)
    centres = _nearest_nodes(net, inst["fx"], inst["fy"])
    subgraphs = [nx.ego_graph(G, int(c), radius=RADIUS_M, distance="length") for c in centres]
    ours, theirs = [], []
    for _ in range(repeats):
        isochrones._VERTS.clear()
        t0 = time.perf_counter()
        service_isochrones(r, net, minutes=[THRESHOLD_S / 60])
        t1 = time.perf_counter()
        _osmnx_polygons(G, subgraphs)
        t2 = time.perf_counter()
        ours.append(t1 - t0)
        theirs.append(t2 - t1)
    a, b = statistics.median(ours), statistics.median(theirs)
    return (
        [("engine service polygon", a), ("OSMnx-example buffer+union", b)],
        None,
        f"timed alternately in one process, median of {repeats}: engine {b / a:.1f}x faster",
    )


APPROACHES = {
    "polys_pair": run_polys_pair,
    "engine": run_engine,
    "engine_polys": run_engine_polys,
    "engine_whole": run_engine_whole,
    "floor": run_floor,
    "pandana": run_pandana,
    "osmnx_example": run_osmnx_example,
}


def worker(args) -> None:
    global THRESHOLD_S, RADIUS_M
    THRESHOLD_S = THRESHOLDS[args.instance]
    RADIUS_M = THRESHOLD_S * SPEED
    t = time.perf_counter()
    if args.instance == "sp":
        inst = load_sp()
    elif args.instance == "yz":
        inst = load_yz()
    else:
        inst = load_city(args.nodes, args.facilities, args.demand)
    load_s = time.perf_counter() - t
    runs = []
    for _ in range(args.runs):
        runs.append(APPROACHES[args.approach](inst))
    steps = [(name, statistics.median(r[0][i][1] for r in runs)) for i, (name, _) in enumerate(runs[0][0])]
    print(
        json.dumps(
            {
                "steps": steps,
                "share": runs[0][1],
                "note": runs[0][2],
                "load_s": load_s,
                "nodes": inst["net"].n_nodes,
                "edges": inst["net"].n_edges,
                "demand": len(inst["dx"]),
                "facilities": len(inst["fx"]),
            }
        )
    )


# ---------------------------------------------------------------------------------------------
# driver


def run_case(instance: str, approach: str, args) -> dict:
    cmd = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--instance",
        instance,
        "--approach",
        approach,
        "--runs",
        str(args.runs),
        "--nodes",
        str(args.nodes),
        "--facilities",
        str(args.facilities),
        "--demand",
        str(args.demand),
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    # (pandana's progress output can share the result's line)
    lines = [ln[ln.index('{"steps"') :] for ln in p.stdout.splitlines() if '{"steps"' in ln]
    if p.returncode != 0 or not lines:
        tail = p.stderr.strip().splitlines()[-3:]
        return {"error": " | ".join(tail)[:200], "rss_mb": None}
    out = json.loads(lines[-1])
    out["rss_mb"] = int(rss.group(1)) / 1024 if rss else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", default="sp,yz,city")
    ap.add_argument("--approaches", default="")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--facilities", type=int, default=2_000)
    ap.add_argument("--demand", type=int, default=200_000)
    ap.add_argument(
        "--city-peers", action="store_true", help="also run pandana on the synthetic city (slow to build)"
    )
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--instance", help=argparse.SUPPRESS)
    ap.add_argument("--approach", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    small = ["engine", "engine_polys", "floor", "pandana", "osmnx_example", "polys_pair"]
    plan = {
        "sp": small,
        "yz": small,
        "city": ["engine", "engine_polys", "engine_whole", "floor"]
        + (["pandana"] if args.city_peers else []),
    }
    rows, sizes = [], []
    got: dict[tuple[str, str], dict] = {}
    for inst in args.instances.split(","):
        approaches = args.approaches.split(",") if args.approaches else plan[inst]
        exact = None
        for a in approaches:
            runs = args.runs if inst != "city" and a != "polys_pair" else 1
            sub = argparse.Namespace(**{**vars(args), "runs": runs})
            res = run_case(inst, a, sub)
            if "error" in res:
                rows.append((inst, a, "FAILED", "", "", "", "", res["error"]))
                continue
            got[(inst, a)] = {**dict(res["steps"]), "rss_mb": res["rss_mb"]}
            if a == "engine":
                exact = res["share"]
                sizes.append(
                    f"- {inst}: {res['nodes']:,} nodes, {res['edges']:,} edges, {res['demand']:,} demand, "
                    f"{res['facilities']:,} facilities; instance built in {res['load_s']:.1f} s"
                )
            for name, sec in res["steps"]:
                total = name.startswith("TOTAL") or len(res["steps"]) == 1
                share = res["share"] if total or name.endswith("share") else None
                diff = "" if share is None or exact is None else f"{share - exact:+.4f}"
                rows.append(
                    (
                        inst,
                        a,
                        name,
                        f"{sec:.3f}",
                        f"{res['rss_mb']:.0f}" if total else "",
                        "" if share is None else f"{share:.4f}",
                        diff,
                        res["note"] if total else "",
                    )
                )
            if len(res["steps"]) > 1 and not any(n.startswith("TOTAL") for n, _ in res["steps"]):
                rows[-1] = (*rows[-1][:4], f"{res['rss_mb']:.0f}", *rows[-1][5:7], res["note"])
            print("  ".join(rows[-1]), file=sys.stderr, flush=True)  # progress, not for the README
    header = ("instance", "approach", "step", "wall_s", "peak_rss_mb", "share", "vs_engine", "note")
    print("\n".join(sizes))
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    _targets(got)


def _targets(got: dict) -> None:
    """The issue's targets against what was measured."""

    def step(inst, a, name):
        return got.get((inst, a), {}).get(name)

    checks = []
    eng = step("sp", "engine", "TOTAL -> covered share")
    osm = step("sp", "osmnx_example", "TOTAL -> covered share")
    pdn = step("sp", "pandana", "TOTAL build+query")
    if eng and osm:
        checks.append(("SP coverage vs OSMnx-example (>= 50x)", osm / eng, osm / eng >= 50))
    if eng and pdn:
        checks.append(("SP coverage vs pandana build+query (> 1x)", pdn / eng, pdn / eng > 1))
    a, b = (
        step("sp", "polys_pair", "engine service polygon"),
        step("sp", "polys_pair", "OSMnx-example buffer+union"),
    )
    if a and b:
        checks.append(("SP polygons vs OSMnx buffer+union, same process (>= 5x)", b / a, b / a >= 5))
    a, b = (
        step("sp", "engine_polys", "service polygon, cut edges, 50 m"),
        step("sp", "osmnx_example", "buffer+union polygons"),
    )
    if a and b:
        checks.append(("SP polygons vs OSMnx buffer+union, separate runs (>= 5x)", b / a, b / a >= 5))
    cached = step("city", "engine", "reach + share (search graph of the profile cached)")
    built = step("city", "engine", "reach + share (search graph built)")
    dij = step("city", "floor", "multi-source dijkstra -> share")
    csr = step("city", "floor", "edge arrays -> CSR")
    if cached and dij:
        r = cached / dij
        checks.append(("city reach / floor dijkstra, graph prebuilt (<= 3x)", r, r <= 3))
    if built and dij and csr:
        r = built / (dij + csr)
        checks.append(("city reach / floor CSR+dijkstra, graph built (<= 3x)", r, r <= 3))
    whole = got.get(("city", "engine_whole"), {})
    if whole:
        total, polys = whole["TOTAL whole run"], whole.get("service polygon")
        checks.append(("city whole run seconds (<= 20)", total, total <= 20))
        if polys is not None:
            checks.append(("city whole run, polygons seconds (<= 5)", polys, polys <= 5))
        checks.append(("city whole run peak RSS MB (<= 2560)", whole["rss_mb"], whole["rss_mb"] <= 2560))
    if checks:
        print()
        print("| target | measured | met |")
        print("|---|---|---|")
        for name, val, ok in checks:
            print(f"| {name} | {val:.2f} | {'yes' if ok else 'NO'} |")


if __name__ == "__main__":
    from contextlib import nullcontext

    from results import recorded

    # a child process prints one JSON record for its parent, not a table for the README
    with nullcontext() if "--worker" in sys.argv else recorded("coverage"):
        main()
