"""Siting benchmark: spopt (PuLP + CBC) against lifecircle's reduced HiGHS models and greedy, side by side.

Instances (as in ../shared/docs/peers.md, appendix):

- SP: São Paulo, the 323 H3 hexes of ``spo_hexgrid.csv`` as demand and candidates, walk network
  from ``spo_osm.pbf``, 15 min at 0.9 m/s; LSCP and MCLP p = 10.
- YZ: Yuzhong, roads ``osm_roads_yuzhong.geojson``, demand = building points inside the district
  outline carrying the 116,300 elderly (60+) spread by footprint area, candidates = the same
  points, 10 minutes (001 task 8) at 0.9 m/s; LSCP, MCLP p = 11 and p = 68.
- SYN: synthetic MCLP, 100,000 demand points × 10,000 candidates, p = 200 (only ours: spopt
  would need a dense 10^9-entry cost matrix).

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
    .venv/bin/python benchmarks/bench_siting.py --only SYN --time-limit 120
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
    n_demand: int = 100_000, n_cand: int = 10_000, seed: int = 7
) -> tuple[sp.csr_matrix, np.ndarray, float]:
    """A city-like synthetic instance: clustered demand, uniform candidates, 15-min walks.

    20 × 20 km; demand drawn from 60 Gaussian neighbourhoods (σ 0.4–1.5 km) plus 20 % spread
    uniformly, weights lognormal (mean ≈ 20 people); candidates uniform. Walking time =
    straight-line distance × 1.3 detour / 0.9 m/s, kept up to 15 minutes (≈ 623 m straight).
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    side = 20_000.0
    n_cl = 60
    centres = rng.uniform(2_000, side - 2_000, (n_cl, 2))
    sig = rng.uniform(400, 1_500, n_cl)
    n_uni = n_demand // 5
    lab = rng.integers(0, n_cl, n_demand - n_uni)
    pts = np.vstack(
        [centres[lab] + rng.normal(size=(len(lab), 2)) * sig[lab, None], rng.uniform(0, side, (n_uni, 2))]
    )
    pts = np.clip(pts, 0, side)
    cand = rng.uniform(0, side, (n_cand, 2))
    w = np.round(rng.lognormal(2.7, 0.8, n_demand), 0)
    limit = 15 * 60.0
    radius = limit * SPEED / 1.3
    d = cKDTree(pts).sparse_distance_matrix(cKDTree(cand), radius, output_type="coo_matrix")
    t = d.data * 1.3 / SPEED
    m = sp.csr_matrix((np.maximum(t, 1e-9), (d.row, d.col)), shape=(n_demand, n_cand))
    m.sort_indices()
    return m, w, limit


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
    if inst == "SYN":
        t0 = time.perf_counter()
        reach, w, limit = synthetic()
        gen_s = time.perf_counter() - t0
    else:
        reach, w, limit = _load(Path(path))
        gen_s = 0.0
    rec = {"instance": inst, "model": model, "p": p, "solver": solver, "gen_s": gen_s}
    n_dem, n_cand = reach.shape
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
    if model == "lscp":
        mdl = LSCP(pb)
    else:
        mdl = MCLP(pb, p)
    if solver == "ours":
        res = mdl.solve(method="auto", time_limit=time_limit)
    elif solver == "plain-highs":
        res = mdl.solve(method="exact", time_limit=time_limit, reduce=False)
    elif solver == "greedy":
        res = mdl.solve(method="greedy", time_limit=time_limit)
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
        lagrangian_s=res.stats.get("lagrangian_seconds"),
    )
    return rec


# -- driver ------------------------------------------------------------------------------------


def _child(args: list[str]) -> dict:
    cmd = ["/usr/bin/time", "-v", sys.executable, __file__, "--child", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-12:] if proc.stderr else "failed", "args": args}
    rec = json.loads(proc.stdout.strip().splitlines()[-1])
    mem = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    rec["peak_mb"] = int(mem.group(1)) / 1024 if mem else math.nan
    return rec


PLAN = {
    "SP": [("lscp", 0), ("mclp", 10)],
    "YZ": [("lscp", 0), ("mclp", 11), ("mclp", 68)],
    "SYN": [("mclp", 200)],
}
SOLVERS = {
    "SP": ["spopt", "ours", "plain-highs", "greedy"],
    "YZ": ["spopt", "ours", "plain-highs", "greedy"],
    "SYN": ["ours", "greedy"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=["SP", "YZ", "SYN"])
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--json", type=Path, help="Also write the records here.")
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        inst, path, model, p, solver, tl = a.child
        print(json.dumps(run_one(inst, path, model, int(p), solver, float(tl)), default=float))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_siting_"))
    records, infos = [], {}
    for inst in a.only:
        path = tmp / f"{inst}.npz"
        if inst == "SP":
            infos[inst] = build_sp(path)
        elif inst == "YZ":
            infos[inst] = build_yz(path)
        else:
            t0 = time.perf_counter()
            reach, w, _ = synthetic()
            infos[inst] = {
                "build_s": time.perf_counter() - t0,
                "demand": reach.shape[0],
                "candidates": reach.shape[1],
                "sites_per_client": reach.nnz / reach.shape[0],
                "weight": float(w.sum()),
            }
            del reach, w
        print(f"# {inst}: {json.dumps(infos[inst], default=float)}", flush=True)
        for model, p in PLAN[inst]:
            for solver in SOLVERS[inst]:
                rec = _child([inst, str(path), model, str(p), solver, str(a.time_limit)])
                records.append(rec)
                print("  " + _row(rec), flush=True)
    print()
    print(_table(records, infos))
    if a.json:
        a.json.write_text(json.dumps({"instances": infos, "runs": records}, indent=1, default=float))


def _row(r: dict) -> str:
    if "error" in r:
        return f"ERROR {r['args']}: {r['error']}"
    return f"{r['instance']} {r['model']} p={r['p']} {r['solver']}: {r['objective']} in {r['wall_s']:.3f}s ({r['status']})"


def _table(records: list[dict], infos: dict) -> str:
    lines = [
        "| instance | model | solver | wall_s | objective | share | sites | status | gap | vs spopt | peak_MB | note |",
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
        if r["solver"] == "greedy" and key in best:
            b = best[key]
            note.append(
                f"{r['objective'] - b:+.0f} sites vs optimum"
                if r["model"] == "lscp"
                else f"gap {(b - r['objective']) / b:.2%} vs optimum"
            )
        if r.get("rows") is not None and r["solver"] == "ours":
            note.append(
                f"reduced to {r['rows']}x{r['cols']} (nnz {r['nnz']}→{r['nnz_reduced']}, forced {r['forced']})"
            )
        if r.get("lagrangian_s"):
            note.append(f"lagrangian {r['lagrangian_s']} s")
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
            f"{'' if math.isnan(share) else f'{share:.4f}'} | {r['n_sites']} | {r['status']} | {gap} | {speed} | "
            f"{r.get('peak_mb', math.nan):.0f} | {'; '.join(note)} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
