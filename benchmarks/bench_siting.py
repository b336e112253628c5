"""Siting benchmark: spopt (PuLP + CBC) against lifecircle's reduced HiGHS models and greedy, side by side.

Instances (as in ../shared/docs/peers.md, appendix):

- SP: São Paulo, the 323 H3 hexes of ``spo_hexgrid.csv`` as demand and candidates, walk network
  from ``spo_osm.pbf``, 15 min at 0.9 m/s; LSCP and MCLP p = 10.
- YZ: Yuzhong, roads ``osm_roads_yuzhong.geojson``, demand = building points inside the district
  outline carrying the 116,300 elderly (60+) spread by footprint area, candidates = the same
  points, 10 minutes (001 task 8) at 0.9 m/s; LSCP, MCLP p = 11 and p = 68.
- SYN: synthetic MCLP, 100,000 demand points × 10,000 candidates, p = 200, built like the real
  instances (buildings on a street network, see `synthetic`) over 20 × 20 km; SYN16 and SYN24
  are the same city squeezed into 16 km or spread over 24 km (denser is harder: more overlap).
  Only ours: spopt would need a dense 10^9-entry cost matrix. "ours" stops at a proven 1 % gap
  or at the 120 s limit, whichever comes first ("ours-full" asks for optimality, by hand).

The Yuzhong question — how many community stations bring every elderly resident within
10 minutes? — is answered by LSCP twice: on the appendix's node-snapped matrix, and on the
product's own `reach_matrix` (points snapped onto edges, the access leg walked, stairs at half
speed: the ``elderly`` profile), each with its optimality proof.

Coverage matrix as in the appendix: points snapped to the nearest network node, limited
Dijkstra (scipy.sparse.csgraph) from every candidate node on the symmetric CSR graph (minimum
over parallel edges), snap legs not walked. spopt gets the dense cost matrix (unreachable =
1e9) built from the same sparse matrix. Every (instance, model, solver) runs in its own
process under ``/usr/bin/time -v`` for its peak memory; wall times are measured inside and
include model building (spopt: ``from_cost_matrix`` + ``solve``; ours: reductions, greedy,
HiGHS model building and solving, explanation).

Usage::

    .venv/bin/python benchmarks/bench_siting.py                # all instances
    .venv/bin/python benchmarks/bench_siting.py --only YZ      # one instance
    .venv/bin/python benchmarks/bench_siting.py --only SYN SYN16 SYN24 --time-limit 120
    .venv/bin/python benchmarks/bench_siting.py --only SYN --seeds 1 2 3 4 5 --time-limit 60

With ``--seeds`` each synthetic instance is built once per seed of `synthetic` (rows ``SYN:1``,
``SYN:2``, ...; "ours" only) and the output is recorded as ``results/siting_syn.md`` instead
of ``results/siting.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SPEED = 0.9  # m/s, as in the peers' appendix
UNREACHABLE = 1e9


# -- coverage matrices (node snapping, limited Dijkstra) ---------------------------------------


def network_csr(net) -> sp.csr_matrix:
    """Symmetric CSR of walking seconds at `SPEED`, minimum over parallel edges."""
    t = net.length / SPEED
    u = np.r_[net.u, net.v]
    v = np.r_[net.v, net.u]
    t = np.r_[t, t]
    keep = u != v
    u, v, t = u[keep], v[keep], t[keep]
    key = u * net.n_nodes + v
    o = np.lexsort((t, key))
    key, t = key[o], t[o]
    first = np.r_[True, key[1:] != key[:-1]]
    key, t = key[first], t[first]
    return sp.csr_matrix((t, (key // net.n_nodes, key % net.n_nodes)), shape=(net.n_nodes, net.n_nodes))


def node_reach(net, dx, dy, cx, cy, limit_s: float) -> tuple[sp.csr_matrix, dict]:
    """Demand × candidate seconds within ``limit_s`` via nearest-node snapping (zeros kept)."""
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    tree = cKDTree(np.c_[net.x, net.y])
    sd, dn = tree.query(np.c_[dx, dy])
    sc, cn = tree.query(np.c_[cx, cy])
    g = network_csr(net)
    ucn, inv = np.unique(cn, return_inverse=True)
    dist = dijkstra(g, directed=False, indices=ucn, limit=limit_s)  # (n_unique_cand_nodes, n_nodes)
    sub = dist[:, dn]  # unique cand node × demand
    r, c = np.nonzero(np.isfinite(sub))
    # expand unique candidate nodes to candidates
    order = np.argsort(inv, kind="stable")
    counts = np.bincount(inv, minlength=len(ucn))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    per = counts[r]
    rep = np.repeat(np.arange(len(r)), per)
    cand = order[np.repeat(starts[r], per) + (np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per))]
    dem = c[rep]
    vals = sub[r, c][rep]
    m = sp.csr_matrix((vals, (dem, cand)), shape=(len(dx), len(cx)))
    m.sort_indices()
    info = {
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "snap_median_m": float(np.median(np.r_[sd, sc])),
        "snap_max_m": float(np.max(np.r_[sd, sc])),
        "sites_per_client": float(m.nnz / max(len(dx), 1)),
    }
    return m, info


def build_sp(path: Path) -> dict:
    """São Paulo instance."""
    import pandas as pd
    import pyproj

    from lifecircle.geodata.sources import read_network

    t0 = time.perf_counter()
    net = read_network(SHARED / "saopaulo" / "spo_osm.pbf")
    hexes = pd.read_csv(SHARED / "saopaulo" / "spo_hexgrid.csv")
    tr = pyproj.Transformer.from_crs(4326, net.crs, always_xy=True)
    x, y = tr.transform(hexes["lon"].to_numpy(), hexes["lat"].to_numpy())
    limit = 15 * 60.0
    reach, info = node_reach(net, x, y, x, y, limit)
    w = hexes["population"].to_numpy(float)
    info.update(build_s=time.perf_counter() - t0, threshold_s=limit, weight=float(w.sum()))
    _save(path, reach, w, limit, info)
    return info


def build_yz(path: Path) -> dict:
    """Yuzhong instance: 116,300 elderly on building points inside the district."""
    import geopandas as gpd

    from lifecircle.geodata.demand import demand_from_buildings
    from lifecircle.geodata.sources import read_network

    t0 = time.perf_counter()
    net = read_network(SHARED / "chongqing" / "osm_roads_yuzhong.geojson")
    dem = demand_from_buildings(
        SHARED / "chongqing" / "osm_buildings_yuzhong.geojson",
        totals={"pop_total": 588_700, "pop_60": 116_300},  # 001 baseline (7th census), digest §4
        clip=SHARED / "chongqing" / "boundaries" / "500103.gcj02.geojson",
        clip_crs="gcj02",
        min_area_m2=0.0,
        type_col=False,
    ).table
    pts = gpd.GeoSeries(dem.geometry, crs=4326).to_crs(net.crs)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    limit = 10 * 60.0  # 001 task 8: 10-minute circle
    reach, info = node_reach(net, x, y, x, y, limit)
    w = dem["pop_60"].to_numpy(float)
    info.update(build_s=time.perf_counter() - t0, threshold_s=limit, weight=float(w.sum()))
    _save(path, reach, w, limit, info)
    return info


def synthetic(
    n_demand: int = 100_000,
    n_cand: int = 10_000,
    *,
    side: float = 20_000.0,
    spacing: float = 120.0,
    seed: int = 7,
    limit: float = 15 * 60.0,
) -> tuple[sp.csr_matrix, np.ndarray, float]:
    """A city-like synthetic instance built like the real ones: buildings on a street network.

    Streets: a jittered grid (``spacing`` m) over ``side`` × ``side`` m with 15 % of the blocks'
    edges missing and 25 street-free holes (parks, hills, rail yards), edge length ×1.0–1.15.
    Buildings: in compounds of about 12 around points on the streets, compounds placed by a
    density of 40 Gaussian neighbourhoods (σ 0.5–2 km) over a thin background; people per
    building lognormal and heavy-tailed like Yuzhong's (σ 1.3, ×compound factor). Candidates:
    ``n_cand`` of the buildings. Reach: as for the real instances — nearest-node snapping,
    limited Dijkstra at 0.9 m/s, 15 minutes.
    """
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    k = int(side // spacing) + 1
    gx, gy = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    nid = (gx * k + gy).ravel()
    x = gx.ravel() * spacing + rng.uniform(-25, 25, k * k)
    y = gy.ravel() * spacing + rng.uniform(-25, 25, k * k)
    right, up = nid[(gx < k - 1).ravel()], nid[(gy < k - 1).ravel()]
    u, v = np.r_[right, up], np.r_[right + k, up + 1]
    keep = rng.random(len(u)) > 0.15
    hc, hr = rng.uniform(0, side, (25, 2)), rng.uniform(200, 700, 25)
    mx, my = (x[u] + x[v]) / 2, (y[u] + y[v]) / 2
    keep &= ~(np.hypot(mx[:, None] - hc[:, 0], my[:, None] - hc[:, 1]) < hr).any(axis=1)
    u, v = u[keep], v[keep]
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.15, len(u))
    g = sp.csr_matrix((length / SPEED, (u, v)), shape=(k * k, k * k))
    mx, my = (x[u] + x[v]) / 2, (y[u] + y[v]) / 2
    n_cl = 40
    cen = rng.uniform(0.1 * side, 0.9 * side, (n_cl, 2))
    sig, amp = rng.uniform(500, 2000, n_cl), rng.lognormal(0, 0.7, n_cl)
    dens = 0.05 + (
        amp * np.exp(-((mx[:, None] - cen[:, 0]) ** 2 + (my[:, None] - cen[:, 1]) ** 2) / (2 * sig**2))
    ).sum(1)
    pe = dens * length
    n_comp = n_demand // 12
    e = rng.choice(len(u), n_comp, p=pe / pe.sum())
    t = rng.random(n_comp)
    cx, cy = x[u[e]] + t * (x[v[e]] - x[u[e]]), y[u[e]] + t * (y[v[e]] - y[u[e]])
    comp = rng.integers(0, n_comp, n_demand)
    bx, by = cx[comp] + rng.normal(0, 40, n_demand), cy[comp] + rng.normal(0, 40, n_demand)
    w = np.round(rng.lognormal(2.3, 1.3, n_demand) * rng.lognormal(0, 0.8, n_comp)[comp])
    nodes = np.flatnonzero(np.bincount(np.r_[u, v], minlength=k * k) > 0)
    _, dn = cKDTree(np.c_[x[nodes], y[nodes]]).query(np.c_[bx, by])
    dn = nodes[dn]
    cn = dn[rng.choice(n_demand, n_cand, replace=False)]
    ucn, inv = np.unique(cn, return_inverse=True)
    rows, cols, vals = [], [], []
    for s0 in range(0, len(ucn), 400):
        d = dijkstra(g, directed=False, indices=ucn[s0 : s0 + 400], limit=limit)
        r, c = np.nonzero(np.isfinite(d))
        rows.append(r + s0)
        cols.append(c)
        vals.append(np.maximum(d[r, c], 1e-9))  # keep zero-second pairs explicit
    node_reach = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(ucn), k * k)
    )
    m = sp.csr_matrix(node_reach.tocsc()[:, dn].T.tocsr()[:, inv])
    m.sort_indices()
    return m, w, limit


SYN_SIDES = {"SYN": 20_000.0, "SYN16": 16_000.0, "SYN24": 24_000.0}


def syn_spec(inst: str) -> tuple[str, int]:
    """Base name and seed of a synthetic instance name: ``SYN`` (seed 7) or ``SYN:3`` (seed 3)."""
    base, _, seed = inst.partition(":")
    return base, int(seed) if seed else 7


def yuzhong_question() -> list[dict]:
    """LSCP for every elderly resident of Yuzhong within 10 minutes, two walking models, with proof."""
    import geopandas as gpd

    from lifecircle.coverage.reach import reach_matrix
    from lifecircle.coverage.siting import LSCP, siting_problem
    from lifecircle.geodata.demand import demand_from_buildings
    from lifecircle.geodata.sources import read_network

    net = read_network(SHARED / "chongqing" / "osm_roads_yuzhong.geojson")
    dem = demand_from_buildings(
        SHARED / "chongqing" / "osm_buildings_yuzhong.geojson",
        totals={"pop_total": 588_700, "pop_60": 116_300},
        clip=SHARED / "chongqing" / "boundaries" / "500103.gcj02.geojson",
        clip_crs="gcj02",
        min_area_m2=0.0,
        type_col=False,
    ).table
    w = dem["pop_60"].to_numpy(float)
    pts = gpd.GeoSeries(dem.geometry, crs=4326).to_crs(net.crs)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    out = []
    for name, build in (
        ("node snap, snap leg not walked (appendix)", lambda: node_reach(net, x, y, x, y, 600.0)[0]),
        ("edge snap, access leg walked, stairs at half speed (reach_matrix)",
         lambda: reach_matrix(net, dem, dem, limit_s=600.0, profile="elderly")),
    ):  # fmt: skip
        t0 = time.perf_counter()
        m = build()
        t_reach = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = LSCP(siting_problem(m, w, threshold_s=600.0, demand=dem)).solve()
        out.append(
            {
                "walking model": name,
                "stations": res.objective,
                "status": res.status,
                "bound": res.bound,
                "gap": res.gap,
                "lp_bound_after_reduction": res.stats.get("lp_bound"),
                "forced_by_reduction": res.stats.get("forced"),
                "reduced": f"{res.stats['rows']}x{res.stats['cols']}",
                "uncoverable": len(res.uncoverable),
                "reach_s": round(t_reach, 3),
                "solve_s": round(time.perf_counter() - t0, 3),
                "elderly_covered": float(w[res.covered_after].sum()),
            }
        )
    return out


def _save(path: Path, reach: sp.csr_matrix, w: np.ndarray, limit: float, info: dict) -> None:
    np.savez(
        path, data=reach.data, indices=reach.indices, indptr=reach.indptr, shape=reach.shape, w=w, limit=limit
    )
    path.with_suffix(".json").write_text(json.dumps(info))


def _load(path: Path) -> tuple[sp.csr_matrix, np.ndarray, float]:
    z = np.load(path)
    m = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
    return m, z["w"], float(z["limit"])


# -- one run (child process) -------------------------------------------------------------------


def run_one(inst: str, path: str, model: str, p: int, solver: str, time_limit: float) -> dict:
    """Run one solver on one instance; return a JSON-able record (times measured here)."""
    base, seed = syn_spec(inst)
    if base in SYN_SIDES:
        t0 = time.perf_counter()
        reach, w, limit = synthetic(side=SYN_SIDES[base], seed=seed)
        gen_s = time.perf_counter() - t0
    else:
        reach, w, limit = _load(Path(path))
        gen_s = 0.0
    rec = {"instance": inst, "model": model, "p": p, "solver": solver, "gen_s": gen_s}
    if solver == "spopt":
        import pulp
        import spopt.locate as sl

        covered_any = np.diff(reach.indptr) > 0
        t0 = time.perf_counter()
        dense = np.full(reach.shape, UNREACHABLE)
        coo = reach.tocoo()
        dense[coo.row, coo.col] = coo.data
        if model == "lscp":
            dense = dense[covered_any]  # LSCP on coverable clients only (as in the appendix)
            m = sl.LSCP.from_cost_matrix(dense, limit)
        else:
            m = sl.MCLP.from_cost_matrix(dense, w, limit, p_facilities=p)
        t_build = time.perf_counter() - t0
        m.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
        wall = time.perf_counter() - t0
        x = np.array([v.value() for v in m.fac_vars])
        sites = np.flatnonzero(x > 0.5)
        status = pulp.LpStatus[m.problem.status].lower()
        obj = len(sites) if model == "lscp" else float(w[(reach[:, sites].getnnz(axis=1) > 0)].sum())
        rec.update(
            wall_s=wall, build_s=t_build, objective=obj, status=status, n_sites=len(sites), gap=math.nan
        )
        return rec
    from lifecircle.coverage.siting import LSCP, MCLP, siting_problem

    t0 = time.perf_counter()
    pb = siting_problem(reach, w, threshold_s=limit)
    mdl = LSCP(pb) if model == "lscp" else MCLP(pb, p)
    if solver == "ours":
        gap = 0.01 if base in SYN_SIDES else 0.0
        res = mdl.solve(method="auto", time_limit=time_limit, mip_gap=gap)
    elif solver == "plain-highs":
        res = mdl.solve(method="exact", time_limit=time_limit, reduce=False)
    elif solver == "ours-full":
        res = mdl.solve(method="auto", time_limit=time_limit, mip_gap=0.0)
    elif solver == "greedy":
        res = mdl.solve(method="greedy", time_limit=time_limit)
    elif solver == "greedy-plain":
        res = mdl.solve(
            method="greedy",
            time_limit=time_limit,
            reduce=False,
            **({} if model == "lscp" else {"swap": False}),
        )
    else:
        raise SystemExit(f"unknown solver {solver}")
    wall = time.perf_counter() - t0
    rec.update(
        wall_s=wall,
        objective=res.objective,
        bound=res.bound,
        gap=res.gap,
        status=res.status,
        n_sites=res.n_sites,
        solver_detail=res.solver,
        heuristic_objective=res.heuristic_objective,
        rows=res.stats.get("rows"),
        cols=res.stats.get("cols"),
        nnz=res.stats.get("nnz"),
        nnz_reduced=res.stats.get("nnz_reduced"),
        forced=res.stats.get("forced"),
        solve_s=res.solve_seconds,
        lp_s=res.stats.get("lp_seconds"),
        lns_s=res.stats.get("lns_seconds"),
        lp_bound=res.stats.get("lp_bound"),
        dec_bound=res.stats.get("decomposition_bound"),
        dec_s=res.stats.get("decomposition_seconds"),
        dec_regions=res.stats.get("decomposition_regions"),
        dec_optimal=res.stats.get("decomposition_regions_optimal"),
        lns_windows=res.stats.get("lns_windows"),
    )
    return rec


# -- driver ------------------------------------------------------------------------------------


def _child(args: list[str]) -> dict:
    cmd = ["/usr/bin/time", "-v", sys.executable, __file__, "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if proc.returncode != 0:  # the child's own last words, before /usr/bin/time's report
        said = proc.stderr.split("\tCommand being timed:")[0].strip().splitlines()
        return {"error": said[-1] if said else "failed", "args": args}
    rec = json.loads(proc.stdout.strip().splitlines()[-1])
    mem = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    rec["peak_mb"] = int(mem.group(1)) / 1024 if mem else math.nan
    return rec


PLAN = {
    "SP": [("lscp", 0), ("mclp", 10)],
    "YZ": [("lscp", 0), ("mclp", 11), ("mclp", 68)],
    **{k: [("mclp", 200)] for k in SYN_SIDES},
}
_SMALL = ["spopt", "ours", "plain-highs", "greedy", "greedy-plain"]
SOLVERS = {"SP": _SMALL, "YZ": _SMALL, "SYN": ["ours", "greedy"], "SYN16": ["ours"], "SYN24": ["ours"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=["SP", "YZ", "SYN"])
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--seeds", nargs="*", type=int, help="Seeds of the synthetic city (one row each).")
    ap.add_argument("--json", type=Path, help="Also write the records here.")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        inst, path, model, p, solver, tl = a.child
        print(json.dumps(run_one(inst, path, model, int(p), solver, float(tl)), default=float))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_siting_"))
    records, infos = [], {}
    for inst in _instances(a.only, a.seeds):
        base, seed = syn_spec(inst)
        path = tmp / f"{inst}.npz"
        if inst == "SP":
            infos[inst] = build_sp(path)
        elif inst == "YZ":
            infos[inst] = build_yz(path)
        else:
            t0 = time.perf_counter()
            reach, w, _ = synthetic(side=SYN_SIDES[base], seed=seed)
            infos[inst] = {
                "build_s": time.perf_counter() - t0,
                "demand": reach.shape[0],
                "candidates": reach.shape[1],
                "sites_per_client": reach.nnz / reach.shape[0],
                "weight": float(w.sum()),
            }
            del reach, w
        print(f"# {inst}: {json.dumps(infos[inst], default=float)}", flush=True)
        for model, p in PLAN[base]:
            for solver in SOLVERS[base] if inst == base else ["ours"]:
                rec = _child([inst, str(path), model, str(p), solver, str(a.time_limit)])
                records.append(rec)
                print("  " + _row(rec), flush=True)
    print()
    print(_table(records, infos))
    question = []
    if "YZ" in a.only:
        question = yuzhong_question()
        print("\nYuzhong: community stations needed so that every elderly resident is within 10 minutes")
        print("(plan: 68 community stations, one per community; 001 附件 and task 8)")
        for q in question:
            print(
                f"- {q['walking model']}: {q['stations']:.0f} stations, {q['status']} "
                f"(bound {q['bound']:.0f}, gap {q['gap']:.1%}; "
                f"{q['forced_by_reduction']} forced by reduction, "
                f"rest {q['reduced']} with LP bound {q['lp_bound_after_reduction']}); "
                f"reach {q['reach_s']} s, solve {q['solve_s']} s; "
                f"{q['elderly_covered']:,.0f} elderly covered, "
                f"{q['uncoverable']} buildings unreachable"
            )
    if a.json:
        a.json.write_text(
            json.dumps(
                {"instances": infos, "runs": records, "yuzhong_question": question}, indent=1, default=float
            )
        )


def _instances(only: list[str], seeds: list[int] | None) -> list[str]:
    """The instances to run: each synthetic one once per seed when seeds are given."""
    if not seeds:
        return list(only)
    return [
        *(i for i in only if i not in SYN_SIDES),
        *(f"{i}:{s}" for i in only if i in SYN_SIDES for s in seeds),
    ]


def _row(r: dict) -> str:
    if "error" in r:
        return f"ERROR {r['args']}: {r['error']}"
    return (
        f"{r['instance']} {r['model']} p={r['p']} {r['solver']}: {r['objective']} "
        f"in {r['wall_s']:.3f}s ({r['status']})"
    )


def _table(records: list[dict], infos: dict) -> str:
    lines = [
        "| instance | model | solver | wall_s | objective | share | sites | status | gap | vs spopt "
        "| peak_MB | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    spopt = {
        (r["instance"], r["model"], r["p"]): r
        for r in records
        if r.get("solver") == "spopt" and "error" not in r
    }
    best = {}
    for r in records:
        if "error" in r:
            continue
        key = (r["instance"], r["model"], r["p"])
        if r["solver"] in ("ours", "plain-highs") and r["status"] == "optimal":
            best[key] = r["objective"]
    for r in records:
        if "error" in r:
            lines.append(
                f"| {r['args'][0]} | {r['args'][2]} | {r['args'][4]} | error | | | | | | | | {r['error']} |"
            )
            continue
        key = (r["instance"], r["model"], r["p"])
        name = "LSCP" if r["model"] == "lscp" else f"MCLP p={r['p']}"
        share = r["objective"] / infos[r["instance"]]["weight"] if r["model"] == "mclp" else math.nan
        sp_ = spopt.get(key)
        speed = f"{sp_['wall_s'] / r['wall_s']:.1f}x faster" if sp_ and r["solver"] != "spopt" else ""
        note = []
        if r["solver"].startswith("greedy") and key in best:
            b = best[key]
            note.append(
                f"{r['objective'] - b:+.0f} sites vs optimum"
                if r["model"] == "lscp"
                else f"gap {(b - r['objective']) / b:.2%} vs optimum"
            )
        if r.get("rows") is not None and r["solver"] == "ours":
            note.append(
                f"reduced to {r['rows']}x{r['cols']} "
                f"(nnz {r['nnz']}→{r['nnz_reduced']}, forced {r['forced']})"
            )
        if r.get("lp_s"):
            note.append(f"LP bound {r['lp_s']:.1f} s")
        if r.get("dec_s") is not None:
            lp_gap = (r["lp_bound"] - r["objective"]) / r["objective"]
            note.append(
                f"regional bound {r['dec_s']:.1f} s ({r['dec_optimal']}/{r['dec_regions']} regions "
                f"optimal; gap to the LP bound would be {100 * lp_gap:.2f}%)"
            )
        if r.get("lns_s"):
            note.append(f"LNS {r['lns_s']:.0f} s, {r['lns_windows']} windows")
        if r.get("gen_s"):
            note.append(f"instance generated in {r['gen_s']:.1f} s (not timed)")
        if sp_ and r["solver"] != "spopt":
            same = abs(sp_["objective"] - r["objective"]) <= 1e-6 * max(1.0, abs(sp_["objective"]))
            note.append("same objective as spopt" if same else f"spopt {sp_['objective']}")
        gap = (
            ""
            if r.get("gap") is None or (isinstance(r.get("gap"), float) and math.isnan(r["gap"]))
            else f"{r['gap']:.2e}"
        )
        lines.append(
            f"| {r['instance']} | {name} | {r['solver']} | {r['wall_s']:.3f} | {r['objective']:,.2f} | "
            f"{'' if math.isnan(share) else f'{share:.4f}'} | {r['n_sites']} | {r['status']} | "
            f"{gap} | {speed} | "
            f"{r.get('peak_mb', math.nan):.0f} | {'; '.join(note)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    from contextlib import nullcontext

    from results import recorded

    # a child process prints one JSON record for its parent, not a table for the README
    name = "siting_syn" if "--seeds" in sys.argv else "siting"
    with nullcontext() if "--child" in sys.argv else recorded(name):
        main()
