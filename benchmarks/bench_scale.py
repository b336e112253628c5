"""Scale benchmark: synthetic cities of 100,000 to 4,000,000 nodes, one process vs Dask with 1 and 2 workers.

Each city has 2 facilities and 200 demand points per 1,000 nodes; the elderly profile and a
15-minute limit (900 s). The single-process run builds the whole network and runs the engine's
multi-source search; the Dask runs cut the city into tiles of about 250,000 nodes, and every
worker builds its own tiles from the generator spec (nothing but the spec travels). Peak memory
is each process's maximum resident set (``ru_maxrss``): the single run in a child process, each
Dask worker read at the end of its run. The partitioned times are checked against the single
run wherever both ran: the Dask runs are asked for times up to the limit only (``true_times=False``,
beyond it ``inf`` and flagged "beyond the search limit"), as the single run computes them; with
true times they would add one unbounded search of the whole network for the homes beyond it.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--sizes 100000,400000,1000000,4000000]``.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time

import numpy as np

LIMIT_S = 900.0


def _single(n_nodes: int, out: str | None) -> dict:
    from lifecircle.coverage.profiles import get_profile
    from lifecircle.coverage.reach import service_reach
    from lifecircle.geodata.network import build_network
    from lifecircle.scenarios.partition import SyntheticGridSource

    src = SyntheticGridSource.with_nodes(n_nodes)
    t0 = time.perf_counter()
    lines = src.whole()
    net = build_network(lines, source=src.describe(), keep="giant", crs=src.crs)
    del lines
    t1 = time.perf_counter()
    dx, dy = src.demand()
    fx, fy = src.facilities()
    r = service_reach(net, (dx, dy), (fx, fy), profile=get_profile("elderly"), limit_s=LIMIT_S)
    t2 = time.perf_counter()
    if out:
        np.save(out, r.time_s)
    return {
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "build_s": t1 - t0,
        "reach_s": t2 - t1,
        "wall_s": t2 - t0,
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "covered": float(np.isfinite(r.time_s).mean()),
    }


def _dask(n_nodes: int, workers: int, tiles: int) -> tuple[dict, np.ndarray]:
    from lifecircle.coverage.profiles import get_profile
    from lifecircle.scenarios import distributed as dist
    from lifecircle.scenarios.partition import SyntheticGridSource

    src = SyntheticGridSource.with_nodes(n_nodes)
    spec = dist.ServiceSpec("elderly", get_profile("elderly"), LIMIT_S)
    with dist.dask_client(n_workers=workers) as client:
        client.run(_reset_peak)
        t0 = time.perf_counter()
        got = dist.partitioned_reach(
            src,
            dist.GeneratedPoints(src, "demand"),
            {"elderly": dist.GeneratedPoints(src, "facilities")},
            [spec],
            client=client,
            tiles=(tiles, tiles),
            show_progress=False,
            true_times=False,  # as the single run: beyond the limit is inf (flagged), no global search
        )
        wall = time.perf_counter() - t0
        peaks = client.run(dist.rss)
    return {
        "wall_s": wall,
        "tiles": tiles * tiles,
        "peak_gb_per_worker": max(peaks.values()) / 2**30,
        "tile_nodes_max": max(t["nodes"] for t in got.tiles),
    }, got.time_s["elderly"]


def _reset_peak() -> None:
    """Linux lets a process reset its peak RSS counter (write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,400000,1000000,2000000,4000000")
    ap.add_argument("--single-max", type=int, default=4_000_000, help="largest city run in one process")
    ap.add_argument("--single", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.single:
        print(json.dumps(_single(args.single, args.out)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        tiles = max(2, math.ceil(math.sqrt(n / 250_000)))
        row: dict = {"n": n}
        ref = None
        if n <= args.single_max:
            tmp = f"/tmp/bench_scale_single_{n}.npy"
            p = subprocess.run(
                [sys.executable, __file__, "--single", str(n), "--out", tmp], capture_output=True, text=True
            )
            if p.returncode == 0:
                row["single"] = json.loads(p.stdout.strip().splitlines()[-1])
                ref = np.load(tmp)
            else:
                row["single"] = {"error": p.stderr.strip().splitlines()[-1] if p.stderr else "failed"}
        for w in (1, 2):
            res, times = _dask(n, w, tiles)
            if ref is not None:
                close = np.isclose(times, ref, rtol=0, atol=1e-9) | (np.isinf(times) & np.isinf(ref))
                res["bitwise"] = float(((times == ref) | (np.isinf(times) & np.isinf(ref))).mean())
                res["equal_1e-9"] = bool(close.all())
            row[f"dask{w}"] = res
        rows.append(row)
        _print(rows)
        sys.stdout.flush()


def _print(rows: list[dict]) -> None:
    head = (
        f"{'nodes':>10} {'tiles':>5} | {'1 proc s':>8} {'GB':>5} {'µs/node':>7} | "
        f"{'dask1 s':>8} {'GB/w':>5} {'µs/node':>7} | "
        f"{'dask2 s':>8} {'GB/w':>5} {'µs/node':>7} | {'exact':>5}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        n = r["n"]
        s = r.get("single", {})
        d1, d2 = r["dask1"], r["dask2"]
        single = (
            f"{s['wall_s']:8.1f} {s['peak_gb']:5.2f} {1e6 * s['wall_s'] / n:7.2f}"
            if "wall_s" in s
            else f"{'–':>8} {'–':>5} {'–':>7}"
        )
        exact = _exact(d1, d2)
        print(
            f"{n:>10,} {d1['tiles']:>5} | {single} | "
            f"{d1['wall_s']:8.1f} {d1['peak_gb_per_worker']:5.2f} {1e6 * d1['wall_s'] / n:7.2f} | "
            f"{d2['wall_s']:8.1f} {d2['peak_gb_per_worker']:5.2f} {1e6 * d2['wall_s'] / n:7.2f} | {exact:>5}"
        )
    print()


def _exact(d1: dict, d2: dict) -> str:
    if "equal_1e-9" not in d1:
        return "–"
    return "yes" if d1["equal_1e-9"] and d2["equal_1e-9"] else "NO"


if __name__ == "__main__":
    from contextlib import nullcontext

    from results import recorded

    # a child process prints one JSON record for its parent, not a table for the README
    with nullcontext() if "--single" in sys.argv else recorded("scale"):
        main()
