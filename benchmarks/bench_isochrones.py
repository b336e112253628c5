"""Isochrone polygon benchmark: GEOS union of the buffers (``union``) against marching squares (``contour``).

Synthetic grid cities of ``synthetic.py`` (2 facilities and 200 demand points per 1,000 nodes, the
whole-run benchmark's instance), 0.9 m/s with steps at half speed, one service polygon per tier
(default the 15-minute tier of the whole run; ``--minutes 5,10,15,20`` for the map's four), 50 m
access width. Each (size, method) runs in its own child process under ``/usr/bin/time -v``:

- ``s``: wall seconds of `service_isochrones` alone, from cold caches as in a run;
- ``peak MB``: the child's maximum resident set (city, search and polygons);
- ``step MB``: the resident peak during the polygon step (the kernel's high-water mark reset just
  before it), with ``base MB`` the resident set when it starts;
- ``inside``: share of the reached length inside its tier's polygon, measured after the timing
  independently of the method's own report (`shapely.covers`, then the exact intersection length
  of any piece not covered), the minimum over tiers;
- ``area``: contour area over union area (sum over tiers).

Run: ``.venv/bin/python benchmarks/bench_isochrones.py [--sizes 100000,400000,1000000]``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
METHODS = ("union", "contour")


def _status(key: str) -> float:
    """A ``/proc/self/status`` memory line in MB (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak() -> None:
    """Reset the kernel's resident high-water mark of this process (Linux: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _inside_share(net, reach, gdf) -> float:
    """Smallest share, over tiers, of the reached length inside the tier's polygon (independent check)."""
    import shapely

    from lifecircle.coverage.isochrones import reached_intervals, substrings

    g = reach.graph
    t = reach.split_time_s
    worst = 1.0
    for m, poly in zip(gdf["minutes"], gdf.geometry, strict=True):
        _, edge, s, e = reached_intervals(g, reach.costs, t[g.p_from], t[g.p_to], m * 60.0)
        lines = substrings(net, edge, s, e)
        if len(lines) == 0:
            continue
        shapely.prepare(poly)
        length = shapely.length(lines)
        cov = shapely.covers(poly, lines)
        inside = np.where(cov, length, 0.0)
        nc = np.flatnonzero(~cov)
        inside[nc] = shapely.length(shapely.intersection(lines[nc], poly))
        worst = min(worst, float(inside.sum() / length.sum()))
    return worst


def worker(n_nodes: int, method: str, minutes: list[float]) -> dict:
    """Build the city and its reach, then time the polygons of one method."""
    sys.path.insert(0, str(HERE))
    from synthetic import grid_city

    from lifecircle.coverage import isochrones
    from lifecircle.coverage.profiles import WalkProfile, edge_costs
    from lifecircle.coverage.reach import service_reach

    c = grid_city(n_nodes, n_facilities=2 * n_nodes // 1000, n_demand=200 * n_nodes // 1000)
    net = c.net
    costs = edge_costs(net, WalkProfile("bench", 0.9, 0.5))
    r = service_reach(net, (c.dx, c.dy), (c.fx, c.fy), costs=costs, limit_s=max(minutes) * 60.0)
    del c
    g = r.graph
    t = r.split_time_s
    pieces = sum(
        len(isochrones.reached_intervals(g, r.costs, t[g.p_from], t[g.p_to], m * 60.0)[0]) for m in minutes
    )
    isochrones._VERTS.clear()
    base = _status("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    gdf = isochrones.service_isochrones(r, net, minutes=minutes, method=method)
    sec = time.perf_counter() - t0
    step = _status("VmHWM")
    return {
        "nodes": net.n_nodes,
        "pieces": pieces,
        "s": sec,
        "base_mb": base,
        "step_mb": step,
        "area": float(gdf["area_m2"].sum()),
        "reported_inside": float(gdf["inside_share"].min()),
        "inside": _inside_share(net, r, gdf),
        "valid": bool(gdf.geometry.is_valid.all()),
    }


def run_child(n_nodes: int, method: str, minutes: str) -> dict:
    """One (size, method) in a child process; its peak resident set from ``/usr/bin/time -v``."""
    cmd = [sys.executable, __file__, "--worker", str(n_nodes), method, "--minutes", minutes]
    timer = shutil.which("time") or "/usr/bin/time"
    if Path(timer).exists():
        cmd = [timer, "-v", *cmd]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["failed"])[-1]}
    res = json.loads(p.stdout.strip().splitlines()[-1])
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    res["peak_mb"] = int(m.group(1)) / 1024 if m else float("nan")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,400000,1000000")
    ap.add_argument("--minutes", default="15", help="tiers, comma-separated (the whole run draws 15)")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    minutes = [float(m) for m in args.minutes.split(",")]
    if args.worker:
        print(json.dumps(worker(int(args.worker[0]), args.worker[1], minutes)))
        return
    print(f"# tiers {args.minutes} min, 50 m access width; each row's two methods ran one after the other")
    head = (
        f"{'nodes':>9} {'pieces':>9} | {'method':>7} {'s':>6} {'peak MB':>7} {'base MB':>7} {'step MB':>7} "
        f"{'inside':>12} {'valid':>5} | {'speed-up':>8} {'area':>7}"
    )
    print(head)
    print("-" * len(head))
    for n in (int(s) for s in args.sizes.split(",")):
        got = {m: run_child(n, m, args.minutes) for m in METHODS}
        for m in METHODS:
            print(_row(n, m, got), flush=True)
    print()


def _row(n: int, m: str, got: dict) -> str:
    r = got[m]
    if "error" in r:
        return f"{n:>9,} {'':>9} | {m:>7} FAILED: {r['error']}"
    old, new = got["union"], got["contour"]
    both = "error" not in old and "error" not in new
    extra = f"{old['s'] / new['s']:8.1f}× {new['area'] / old['area']:7.4f}" if both and m == "contour" else ""
    return (
        f"{r['nodes']:>9,} {r['pieces']:>9,} | {m:>7} {r['s']:6.2f} {r['peak_mb']:7.0f} {r['base_mb']:7.0f} "
        f"{r['step_mb']:7.0f} {r['inside']:12.10f} {'yes' if r['valid'] else 'NO':>5} | {extra}"
    )


if __name__ == "__main__":
    from contextlib import nullcontext

    from results import recorded

    # a worker prints one JSON record for its parent, not a table for the README
    with nullcontext() if "--worker" in sys.argv else recorded("isochrones"):
        main()
