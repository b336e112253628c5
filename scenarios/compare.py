"""Compare two runs (baseline vs plan vs optimized; candidate A vs B): indicator deltas and gains by unit."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..coverage.indicators import label
from ..geodata.common import InputError, say
from ..geodata.files import foreign_entry, read_manifest, staged_folder
from ..geodata.network import utm_crs_for
from ..geodata.schema import GROUPS
from ..maps.comparison import ComparisonInputs, write_comparison
from ..maps.export import write_indicators_csv
from ..maps.i18n import t
from ..maps.webmap import write_map
from .compare_map import comparison_map_inputs, facility_changes, home_changes, unit_names, unit_table
from .run_folder import RunFolder, load_run

#: Indicator rows compared (the rest of the long table is carried in the CSV as is).
COMPARED_METRICS = (
    "coverage",
    "pop_covered",
    "pop_beyond",
    "time_median_min",
    "time_p90_min",
    "facility_count",
    "supply",
    "per_1000",
    "gap",
)
_KEYS = ["scope", "unit", "unit_name", "area", "service", "group", "rule", "metric"]
#: Grid cell size (m) used to report gains by area when a run has no admin units.
GRID_M = 1000.0


def check_out_apart(out_dir: str | Path, runs: list[str | Path]) -> None:
    """Refuse a comparison folder that is a run it reads, lies inside one, or holds one.

    The comparison replaces ``out_dir`` whole, so it may never be (or contain, or sit in) a run
    folder being compared.

    Raises
    ------
    InputError
        Naming ``--out`` and the run folder.
    """
    out = Path(out_dir).resolve()
    for run in runs:
        r = Path(run).resolve()
        if out == r or r in out.parents or out in r.parents:
            where = "is" if out == r else ("inside" if r in out.parents else "holds")
            raise InputError(f"compare.out_{where}_run", out=out_dir, run=run)


def indicator_deltas(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Rows of both indicator tables side by side with ``value_a``, ``value_b`` and ``delta``."""
    keys = [k for k in _KEYS if k in a.columns and k in b.columns]
    sa = a[a["metric"].isin(COMPARED_METRICS)][[*keys, "value"]].copy()
    sb = b[b["metric"].isin(COMPARED_METRICS)][[*keys, "value"]].copy()
    for df in (sa, sb):
        df[keys] = df[keys].astype("string").fillna("").astype(str)
    out = sa.merge(sb, on=keys, how="outer", suffixes=("_a", "_b"), sort=False)
    out["delta"] = out["value_b"] - out["value_a"]
    order = {m: i for i, m in enumerate(COMPARED_METRICS)}
    scope_rank = {"total": 0, "district": 1, "street": 2, "community": 3}
    out["_s"] = out["scope"].map(scope_rank).fillna(9)
    out["_m"] = out["metric"].map(order)
    return (
        out.sort_values(["_s", "unit", "service", "group", "_m", "area"])
        .drop(columns=["_s", "_m"])
        .reset_index(drop=True)
    )


def gains_by_unit(a: RunFolder, b: RunFolder, services: list[str]) -> pd.DataFrame:
    """People newly within reach (and newly out of reach) in B against A, by street and community.

    Demand points are matched by ``id``; a point is covered when its walking time is at most
    its threshold. Runs without admin units are summarized on a grid of `GRID_M` cells. A run
    without a facility list for a service (`RunFolder.no_data`) has unknown coverage: its
    covered count and share, and the gains and losses, are NaN, never 0.
    """
    da, db = a.demand, b.demand
    if "id" not in da or "id" not in db:
        raise InputError("compare.no_id")
    m = da[["id"]].reset_index().merge(db[["id"]].reset_index(), on="id", suffixes=("_a", "_b"))
    if len(m) == 0:
        raise InputError("compare.no_shared_points")
    ia, ib = m["index_a"].to_numpy(), m["index_b"].to_numpy()
    base = db.iloc[ib].reset_index(drop=True)
    levels = [lv for lv in ("street", "community") if lv in base and (base[lv].astype(str) != "").any()]
    if not levels:
        base["grid"] = _grid_labels(base)
        levels = ["grid"]
    rows = []
    for svc in services:
        ta = f"time_s_{svc}"
        if ta not in da or ta not in db:
            continue
        cov_a = np.where(svc in a.no_data, np.nan, _covered(da.iloc[ia], svc))
        cov_b = np.where(svc in b.no_data, np.nan, _covered(db.iloc[ib], svc))
        gained, lost = cov_b * (1.0 - cov_a), cov_a * (1.0 - cov_b)
        for level in levels:
            key = base[level].astype(str).replace("", "—")
            for grp in [g for g in GROUPS if g in base]:
                w = base[grp].to_numpy(dtype=float)
                if not np.isfinite(w).any():
                    continue
                df = pd.DataFrame(
                    {
                        "unit": key,
                        "pop": w,
                        "a": w * cov_a,
                        "b": w * cov_b,
                        "gain": w * gained,
                        "loss": w * lost,
                    }
                )
                g = df.groupby("unit", sort=True).sum(min_count=1)  # unknown stays NaN
                g["coverage_a"] = np.where(g["pop"] > 0, 100 * g["a"] / g["pop"], np.nan)
                g["coverage_b"] = np.where(g["pop"] > 0, 100 * g["b"] / g["pop"], np.nan)
                g = g.reset_index()
                g.insert(0, "level", level)
                g.insert(1, "service", svc)
                g.insert(2, "group", grp)
                rows.append(g)
    if not rows:
        return pd.DataFrame(columns=["level", "service", "group", "unit", "pop", "a", "b", "gain", "loss"])
    out = pd.concat(rows, ignore_index=True).rename(columns={"a": "covered_a", "b": "covered_b"})
    return out.sort_values(
        ["service", "group", "level", "gain", "unit"], ascending=[True, True, True, False, True]
    )


def _covered(d: gpd.GeoDataFrame, service: str) -> np.ndarray:
    t = pd.to_numeric(d[f"time_s_{service}"], errors="coerce").to_numpy(dtype=float)
    thr = pd.to_numeric(d[f"threshold_s_{service}"], errors="coerce").to_numpy(dtype=float)
    return np.nan_to_num(t, nan=np.inf) <= thr


def _grid_labels(d: gpd.GeoDataFrame) -> np.ndarray:
    """``Grr-cc`` labels of `GRID_M` cells in the local UTM zone (rows from the south-west)."""
    c = d.geometry.union_all().centroid
    pts = d.to_crs(utm_crs_for(c.x, c.y))
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    col = np.floor((x - x.min()) / GRID_M).astype(int)
    row = np.floor((y - y.min()) / GRID_M).astype(int)
    return np.array([f"G{r:02d}-{q:02d}" for r, q in zip(row, col, strict=True)], dtype=object)


def compare_pair(run_a: str | Path, run_b: str | Path | None) -> dict:
    """The identity of a comparison recorded in its folder's manifest (absolute run folders)."""
    return {"a": str(Path(run_a).resolve()), "b": None if run_b is None else str(Path(run_b).resolve())}


def default_compare_dir(run_a: str | Path, run_b: str | Path | None = None) -> Path:
    """Where a comparison goes when no ``--out`` is given: beside run A, named after both runs.

    ``<parent of A>/compare_<A>_vs_<B>`` (``…_vs_optimized`` when B is left out). A folder of
    that name holding a different comparison, or anything not ours, is never replaced: the
    next free name ``…_2``, ``…_3``, … is taken instead. A folder with the same pair's earlier
    comparison (and nothing else) is reused.
    """
    a = Path(run_a).resolve()
    b_name = "optimized" if run_b is None else Path(run_b).resolve().name
    base = f"compare_{a.name}_vs_{b_name}"
    pair = compare_pair(run_a, run_b)
    for i in range(1, 1000):
        path = a.parent / (base if i == 1 else f"{base}_{i}")
        if not path.exists() and not path.is_symlink():
            return path
        doc = read_manifest(path) if path.is_dir() else None
        if doc is not None and doc.get("pair") == pair and foreign_entry(path) is None:
            return path
    raise InputError("compare.names_taken", parent=a.parent, base=base)


def compare_runs(
    run_a: str | Path,
    run_b: str | Path | None = None,
    out_dir: str | Path | None = None,
    *,
    lang: str = "zh",
) -> dict:
    """Compare two runs and write ``comparison.html``, ``map.html``, ``deltas.csv``, ``gains.csv``.

    The map opens on run B's state with run A's walking circles dashed over it, the homes newly
    within reach (and those no longer) highlighted and the facilities added or removed drawn; a
    switch shows run A's state. The page lists per service and unit the people newly within
    reach, largest gain first, with the coverage before and after. With ``run_b`` left out,
    ``run_a`` is compared with its own optimized state (its proposed sites added to the
    existing facilities). ``out_dir`` defaults to `default_compare_dir` (named after both runs,
    never another comparison's folder). Returns headline numbers, the per-unit table
    (``units``) and the folder written (``out_dir``).
    """
    out_dir = Path(out_dir) if out_dir is not None else default_compare_dir(run_a, run_b)
    check_out_apart(out_dir, [run_a] if run_b is None else [run_a, run_b])
    a = load_run(run_a)
    b = load_run(run_b) if run_b is not None else load_run(run_a, after=True)
    services = sorted(
        {
            c.removeprefix("time_s_")
            for c in a.demand.columns
            if c.startswith("time_s_") and not c.endswith("_after")
        }
    )
    deltas = indicator_deltas(a.indicators, b.indicators)
    gains = gains_by_unit(a, b, services)
    names = unit_names(a, b)
    units = unit_table(gains, names)
    head = _headline(deltas, lang)
    states = (say("compare.state.a", lang), say("compare.state.b", lang))
    changes = home_changes(a, b, services, names)
    fac_changes = facility_changes(a, b)
    mi = comparison_map_inputs(
        a,
        b,
        {
            "services": services,
            "units": units,
            "changes": changes,
            "facility_changes": fac_changes,
            "title": _title(a, b, lang),
            "headlines": head,
            "states": states,
        },
    )
    page = _page(a, b, units, fac_changes, (head, states, services), lang)
    with staged_folder(out_dir, "compare", meta={"pair": compare_pair(run_a, run_b)}) as tmp:
        write_indicators_csv(deltas, tmp / "deltas.csv")
        write_indicators_csv(units, tmp / "gains.csv")
        write_map(mi, tmp / "map.html", lang=lang)
        write_comparison(page, tmp / "comparison.html", lang=lang)
    return {
        "headline": head,
        "deltas": len(deltas),
        "gain_rows": len(gains),
        "units": units,
        "out_dir": out_dir,
    }


def _page(
    a: RunFolder, b: RunFolder, units: pd.DataFrame, fac_changes, words: tuple, lang: str
) -> ComparisonInputs:
    """What the comparison page shows; ``words`` is (headlines, the states' names, services)."""
    head, states, services = words
    return ComparisonInputs(
        title=_title(a, b, lang),
        runs=(
            (say("compare.run_a", lang, name=a.name(lang)), str(a.path)),
            (say("compare.run_b", lang, name=b.name(lang)), str(b.path)),
        ),
        headlines=tuple(head),
        units=units,
        facility_changes=None if fac_changes is None else pd.DataFrame(fac_changes.drop(columns="geometry")),
        states=states,
        notes=[
            *(
                say("compare.page.no_data", lang, service=label(s, lang))
                for s in services
                if s in a.no_data or s in b.no_data
            ),
            say("compare.page.files", lang),
        ],
    )


def _title(a: RunFolder, b: RunFolder, lang: str) -> str:
    return say("compare.title", lang, a=a.name(lang), b=b.name(lang))


def _headline(deltas: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    out = []
    top = deltas[(deltas["metric"] == "coverage") & (deltas["area"] == "all")]
    scope = "total" if (top["scope"] == "total").any() else "district"
    top = top[top["scope"] == scope]
    for _, r in top.iterrows():
        if not (np.isfinite(r["value_a"]) or np.isfinite(r["value_b"])):
            continue
        name = f"{label(r['service'], lang)} · {label(r['group'], lang)}"
        delta = f" ({r['delta']:+.1f})" if np.isfinite(r["delta"]) else ""
        out.append((name, f"{_pct(r['value_a'], lang)} → {_pct(r['value_b'], lang)}{delta}"))
    return out


def _pct(value: float, lang: str) -> str:
    """A coverage share in percent, or "no data" when it is unknown (never "nan%")."""
    return f"{value:.1f}%" if np.isfinite(value) else t("no_data", lang)
