"""The map's what-if: a finished run's walking times from every home to every site, packed for the page.

`whatif_payload` takes a `RunResult` and, per service, the sites a planner may open or close: the
existing facilities, the planned ones, and the siting proposal's candidates (its chosen sites
marked ``proposed``) or, for a service without a proposal, network points on a grid
(`SPACING_M`). It computes the sparse home × site matrix of walking seconds within the largest
threshold with the engine's own reach (`InProcess.matrix`: `reach_matrix` on the homes as the
service's reach snapped them and on its edge times, exactly as the siting step builds it), and
packs it with the homes' weights, units and thresholds. The map's script
(`lifecircle.maps.whatif`) opens and closes sites on it and recomputes coverage in the page.

Exactness. A home is covered when the least time over the open sites is at most its threshold
(``<=``, as `ServiceReach.covered`). Times travel as whole seconds, each rounded up, and the
thresholds rounded down; an entry within its home's threshold that rounding would push past the
rounded threshold is stored as that threshold. So ``stored <= floor(threshold)`` holds exactly
when ``time <= threshold``, and the page counts the same people as `lifecircle run`.
`covered_homes` is the same rule in Python.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..coverage.indicators.units import admin_str
from ..geodata.common import Note, atomic_path, has_message, say
from ..geodata.crs import wgs84_to_gcj02
from ..geodata.labels import label
from .executors import InProcess, ReachContext, ReachJob, Sites
from .result import SERVICE_GROUP, RunResult
from .site_names import nearest_named_street, site_names, street_for

#: Spacing of the network points offered as candidates to a service without a siting proposal,
#: metres (a technical default of the what-if, not a policy number: about one point per block).
SPACING_M = 125.0
#: Above this many bytes of payload the map carries no what-if and points to the command line.
MAX_BYTES = 16_000_000
#: Site kinds, by their code in the payload.
KINDS: tuple[str, ...] = ("existing", "proposed", "candidate", "planned")
#: Times and thresholds travel as unsigned 16-bit seconds.
_MAX_SECONDS = np.iinfo(np.uint16).max - 1
#: Levels of the per-unit table, from the top.
_LEVELS: tuple[str, ...] = ("street", "community")


@dataclass(frozen=True)
class WhatIfOptions:
    """How the what-if is built.

    Attributes
    ----------
    spacing_m
        Spacing of the grid candidates for a service without a siting proposal, metres.
    max_bytes
        Largest payload embedded in the map; a larger one is replaced by a note and ``command``.
    services
        The services offered (default every service of the run).
    command
        The command the page shows when the run is too large for the what-if (default: the
        catalogue's ``whatif.command`` in the page's language).
    """

    spacing_m: float = SPACING_M
    max_bytes: int = MAX_BYTES
    services: tuple[str, ...] | None = None
    command: str | None = None


def encode(values: np.ndarray, dtype: str) -> dict[str, str]:
    """A typed array for the page: little-endian ``dtype`` (``u1``, ``u2``, ``u4``, ``f8``) in base64."""
    raw = np.ascontiguousarray(np.asarray(values), dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return {"dtype": dtype, "b64": base64.b64encode(raw).decode("ascii")}


def decode(spec: dict[str, str]) -> np.ndarray:
    """The array `encode` packed."""
    return np.frombuffer(base64.b64decode(spec["b64"]), dtype=np.dtype(spec["dtype"]).newbyteorder("<"))


def payload_bytes(payload: dict) -> int:
    """Size of ``payload`` as the map embeds it (compact JSON, UTF-8)."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return len(text.encode("utf-8"))


def whatif_payload(
    result: RunResult,
    *,
    lang: str = "zh",
    options: WhatIfOptions | None = None,
    ready: dict[str, ServiceSites] | None = None,
) -> dict:
    """The what-if of a finished run, ready for `lifecircle.maps.whatif.whatif_html`.

    Parameters
    ----------
    result
        A finished run (`lifecircle.scenarios.pipeline.run_scenario`).
    lang
        Language of the labels (service, group, unit level, site names).
    options
        Candidates' spacing, size limit, services (`WhatIfOptions`).
    ready
        Per service, its sites and matrix computed before the siting proposal (`early_sites`),
        so only the proposal's marks and names remain to be added.

    Returns
    -------
    dict
        ``homes`` (positions, weights per group), ``levels`` (unit of every home per level),
        ``services`` (per service: thresholds, the CSR matrix, the sites) and ``bytes``; or, when
        the payload would pass ``options.max_bytes``, ``too_large`` with the size, the limit
        and the command to use instead.
    """
    opts = options or WhatIfOptions()
    payload: dict = {"v": 1, "homes": _homes(result, lang), "levels": _levels(result, lang), "services": []}
    size = payload_bytes(payload)
    if size > opts.max_bytes:  # the homes alone pass the limit: no matrix is computed
        return too_large(size, opts, lang)
    for svc in opts.services or tuple(result.services):
        if primary_group(result, svc) not in payload["homes"]["weights"]:
            continue  # no population to count for this service
        part = service_payload(result, svc, lang=lang, spacing_m=opts.spacing_m, ready=(ready or {}).get(svc))
        size += payload_bytes(part)
        if size > opts.max_bytes:
            return too_large(size, opts, lang)
        payload["services"].append(part)
    payload["bytes"] = payload_bytes(payload)
    return payload


def too_large(size: int, opts: WhatIfOptions, lang: str = "zh") -> dict:
    """The stand-in payload of a run too large to embed: its size, the limit and the command."""
    return {
        "v": 1,
        "too_large": True,
        "bytes": int(size),
        "limit": int(opts.max_bytes),
        "command": opts.command or say("whatif.command", lang),
    }


def add_whatif(
    result: RunResult,
    path: str | Path,
    *,
    lang: str = "zh",
    options: WhatIfOptions | None = None,
    ready: dict[str, ServiceSites] | None = None,
) -> int:
    """Insert the what-if of ``result`` into the map written at ``path``; return the bytes it adds.

    The map is the one `lifecircle.maps.webmap.write_map` wrote for the run; the file is replaced
    atomically. A run too large for the what-if gets the panel that says so and shows the command.
    ``ready`` is as in `whatif_payload`.
    """
    from ..maps.whatif import insert_whatif, whatif_html

    path = Path(path)
    page = path.read_text(encoding="utf-8")
    try:
        out = insert_whatif(
            page, whatif_html(whatif_payload(result, lang=lang, options=options, ready=ready), lang)
        )
    except Exception as exc:  # the what-if is an addition: the map stays as written, the run notes why
        result.notes.append(Note("whatif.failed", error=str(exc)))
        return 0
    with atomic_path(path) as tmp:
        tmp.write_text(out, encoding="utf-8")
    return len(out.encode("utf-8")) - len(page.encode("utf-8"))


def service_payload(
    result: RunResult,
    service: str,
    *,
    lang: str = "zh",
    spacing_m: float = SPACING_M,
    ready: ServiceSites | None = None,
) -> dict:
    """One service's part of the payload: thresholds, sites and the packed home × site matrix.

    ``ready`` is the service's sites and matrix computed before the siting proposal
    (`service_sites`); without it both are computed here.
    """
    run = result.services[service]
    if ready is None or not ready.complete:  # (a matrix still waiting for its candidates' columns)
        ready = service_sites(result, service, spacing_m, lang)
    sites, matrix = mark_proposed(result, service, ready.sites.copy(), lang), ready.matrix
    indptr, indices, seconds = pack_times(matrix, run.threshold_s)
    group = primary_group(result, service)
    minutes = "/".join(f"{m:g}" for m in np.unique(np.round(run.threshold_s / 60.0, 2)))
    value = f"facilities.value.{service}"
    return {
        "key": service,
        "label": label(service, lang),
        "group": group,
        "groups": list(dict.fromkeys([group, "pop_total"])),
        "minutes": minutes,
        "known": service not in result.no_list(),
        "value": say(value, lang).split("|")[0] if has_message(value) else service,
        "thr": encode(np.floor(run.threshold_s), "u2"),
        "indptr": encode(indptr, "u4"),
        "indices": encode(indices, "u2" if len(sites) <= np.iinfo(np.uint16).max else "u4"),
        "times": encode(seconds, "u2"),
        "sites": _sites_json(sites),
    }


def primary_group(result: RunResult, service: str) -> str:
    """The group a service is measured for, or all residents where that group is unknown."""
    group = SERVICE_GROUP.get(service, "pop_total")
    w = result.demand[group].to_numpy(dtype=float) if group in result.demand else None
    return group if w is not None and np.isfinite(w).all() and w.sum() > 0 else "pop_total"


@dataclass(frozen=True)
class ServiceSites:
    """A service's what-if sites before the siting proposal marks them, and their matrix.

    Attributes
    ----------
    sites
        As `site_table`, the proposal's chosen sites still ``candidate`` and unnamed.
    matrix
        Home × site walking seconds (`site_matrix`); while the siting step computes the
        candidates' columns (`early_sites` with ``candidates_later``) only the columns of the
        sites before them.
    """

    sites: gpd.GeoDataFrame
    matrix: sp.csr_matrix

    @property
    def complete(self) -> bool:
        """Whether the matrix has a column for every site."""
        return self.matrix.shape[1] == len(self.sites)

    def with_candidates(self, matrix: sp.csr_matrix) -> ServiceSites:
        """These sites with the siting candidates' columns (the siting step's matrix) added."""
        return ServiceSites(self.sites, sp.hstack([self.matrix, matrix], format="csr"))


def service_sites(
    result: RunResult,
    service: str,
    spacing_m: float = SPACING_M,
    lang: str = "zh",
    *,
    candidates_later: bool = False,
) -> ServiceSites:
    """The sites of a service's what-if and their matrix, as far as they do not depend on the proposal.

    The siting proposal only marks and names some candidates (`mark_proposed`); which sites
    there are and how far each home walks to them is known before it, so a run computes this
    while its siting model is solved (`early_sites`). With ``candidates_later``, the sited
    service's matrix leaves out its candidates: they are the siting model's own columns, same
    homes, same walking times, same limit, and come from the siting step
    (`ServiceSites.with_candidates`).
    """
    sites = _site_rows(result, service, spacing_m, lang)
    if candidates_later and _sited(result, service):
        return ServiceSites(sites, site_matrix(result, service, sites.iloc[: _first_candidate(sites)]))
    return ServiceSites(sites, site_matrix(result, service, sites))


def early_sites(
    result: RunResult,
    lang: str = "zh",
    options: WhatIfOptions | None = None,
    *,
    candidates_later: bool = False,
) -> dict[str, ServiceSites]:
    """`service_sites` of every service the what-if will offer, for `whatif_payload`'s ``ready``.

    Called with the run before its siting step (the writing process does it meanwhile), with
    ``candidates_later`` when the siting step hands over its matrix of the candidates.
    """
    opts = options or WhatIfOptions()
    return {
        svc: service_sites(result, svc, opts.spacing_m, lang, candidates_later=candidates_later)
        for svc in opts.services or tuple(result.services)
    }


def _first_candidate(sites: gpd.GeoDataFrame) -> int:
    """The row of the first siting candidate in `site_table`'s sites (they come last)."""
    return int((sites["kind"].to_numpy() != KINDS.index("candidate")).sum())


def _sited(result: RunResult, service: str) -> bool:
    """Whether the run's siting step proposes sites for ``service`` (its candidates end the sites)."""
    return result.scenario.siting is not None and result.scenario.siting.service == service


def site_table(
    result: RunResult, service: str, spacing_m: float = SPACING_M, lang: str = "zh"
) -> gpd.GeoDataFrame:
    """The sites of a service's what-if: ``id``, ``name``, ``tier``, ``kind`` (`KINDS` code), ``near``.

    Existing facilities first (as the run counted them), then the planned ones, then the siting
    proposal's candidates with the chosen ones marked ``proposed`` (named in ``lang`` as the run
    names them: rank and nearest street), or, for a service the run did not site, network points
    every ``spacing_m`` metres. ``near`` is the nearest named street as a reader of ``lang`` sees
    it (the page names an unnamed candidate by it). Points in WGS84.
    """
    return mark_proposed(result, service, _site_rows(result, service, spacing_m, lang), lang)


def mark_proposed(
    result: RunResult, service: str, sites: gpd.GeoDataFrame, lang: str = "zh"
) -> gpd.GeoDataFrame:
    """``sites`` (from `service_sites`) with the siting proposal's chosen candidates marked and named."""
    if result.siting is None or not _sited(result, service):
        return sites
    rows = _first_candidate(sites) + np.asarray(result.siting.sites, dtype=np.int64)
    sites.loc[rows, "kind"] = KINDS.index("proposed")
    if result.sites is not None and len(result.sites) == len(rows) and "rank" in result.sites:
        sites.loc[rows, "name"] = site_names(result.sites, lang)
    return sites


def _site_rows(result: RunResult, service: str, spacing_m: float, lang: str) -> gpd.GeoDataFrame:
    """`site_table` without the proposal's marks and names."""
    existing = _sites(result.services[service].facilities, KINDS.index("existing"))
    fac = result.facilities
    planned = fac[(fac["service"] == service) & (fac["status"] == "planned")] if len(fac) else fac.iloc[:0]
    parts = [existing, _sites(planned, KINDS.index("planned"))]
    if _sited(result, service):
        from .siting import candidates

        parts.append(_sites(candidates(result), KINDS.index("candidate")))
    else:
        from .siting import grid_candidates

        parts.append(_sites(grid_candidates(result.network, spacing_m), KINDS.index("candidate")))
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4326)
    near, _ = nearest_named_street(out.geometry, result.network)
    names, inverse = np.unique(near.astype(str), return_inverse=True)
    out["near"] = np.asarray([street_for(n, lang) for n in names], dtype=object)[inverse]
    return out


def _sites(table: gpd.GeoDataFrame, kind: int) -> gpd.GeoDataFrame:
    """``table``'s points as site rows of one kind (names and tiers as text, "" where missing)."""
    n = len(table)
    pts = table.geometry.to_crs(4326) if n and table.crs is not None else table.geometry
    text = {
        c: table[c].fillna("").astype(str).to_numpy() if c in table else np.full(n, "", dtype=object)
        for c in ("id", "name", "tier")
    }
    return gpd.GeoDataFrame(
        {**text, "kind": np.full(n, kind, dtype=np.int64)}, geometry=np.asarray(pts, dtype=object), crs=4326
    )


def site_matrix(result: RunResult, service: str, sites: gpd.GeoDataFrame) -> sp.csr_matrix:
    """Home × site walking seconds within the service's largest threshold, from the engine's reach.

    The homes are the service's snapped homes (`ServiceReach.demand`) and the edge times its own
    (`ServiceReach.costs`, slope included), so each entry is the time `lifecircle run` computes
    for a walk from that home to that site alone.
    """
    run = result.services[service]
    reach = run.reach
    limit = float(np.max(run.threshold_s)) if len(run.threshold_s) else 0.0
    if not len(sites) or limit <= 0:
        return sp.csr_matrix((len(result.demand), len(sites)))
    ctx = ReachContext(
        result.network, result.demand, result.scenario.outputs.max_snap_m, str(result.network.source)
    )
    job = ReachJob(service, reach.profile, reach.costs, run.facilities)
    return InProcess().matrix(ctx, job, Sites(sites, limit, reach.demand, what="candidates"))


def pack_times(matrix: sp.csr_matrix, threshold_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR ``indptr``, ``indices`` and whole seconds of ``matrix``, coverage kept exact.

    Seconds are rounded up; an entry within its home's threshold that rounding would lift past the
    threshold rounded down is stored as that rounded threshold (see the module docstring).
    """
    m = sp.csr_matrix(matrix)
    m.sort_indices()
    thr = np.asarray(threshold_s, dtype=float)
    if len(thr) and np.max(thr) > _MAX_SECONDS:
        raise ValueError(f"thresholds above {_MAX_SECONDS} s do not fit the what-if's 16-bit seconds")
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    floor_thr = np.floor(thr)[rows]
    seconds = np.ceil(m.data)
    inside = m.data <= thr[rows]
    seconds = np.where(inside & (seconds > floor_thr), floor_thr, seconds)
    return m.indptr.astype(np.uint32), m.indices.astype(np.uint32), seconds.astype(np.uint16)


def covered_homes(part: dict, open_sites: np.ndarray) -> np.ndarray:
    """Homes the page counts as covered with ``open_sites`` (indices or a mask) open: the page's rule.

    Parameters
    ----------
    part
        One service's part of the payload (`service_payload`).
    open_sites
        Indices of the open sites, or a boolean mask over the sites.
    """
    indptr, indices, seconds = decode(part["indptr"]), decode(part["indices"]), decode(part["times"])
    thr = decode(part["thr"])
    n_sites = len(part["sites"]["id"])
    is_open = np.zeros(n_sites, dtype=bool)
    is_open[np.asarray(open_sites)] = True
    rows = np.repeat(np.arange(len(thr)), np.diff(indptr.astype(np.int64)))
    hit = is_open[indices] & (seconds <= thr[rows])
    return np.bincount(rows[hit], minlength=len(thr)) > 0


def _homes(result: RunResult, lang: str) -> dict:
    """Positions (WGS84) and weights of the homes, for every group the run knows."""
    d = result.demand
    pts = d.geometry.to_crs(4326) if d.crs is not None else d.geometry
    weights, labels = {}, {}
    for grp in ("pop_total", "pop_60", "pop_80", "pop_0_3"):
        w = d[grp].to_numpy(dtype=float) if grp in d else None
        if w is not None and np.isfinite(w).all():
            weights[grp], labels[grp] = encode(w, "f8"), label(grp, lang)
    lon = np.where(pts.is_empty, np.nan, pts.x.to_numpy(dtype=float))
    lat = np.where(pts.is_empty, np.nan, pts.y.to_numpy(dtype=float))
    return {
        "n": len(d),
        "lon": encode(np.nan_to_num(lon, nan=0.0), "f8"),
        "lat": encode(np.nan_to_num(lat, nan=0.0), "f8"),
        "weights": weights,
        "labels": labels,
    }


def _levels(result: RunResult, lang: str) -> list[dict]:
    """Per level with units (street, community): the unit of every home, the units' codes and names."""
    out = []
    tab = result.indicators
    for level in _LEVELS:
        if level not in result.demand:
            continue
        codes = admin_str(result.demand[level])
        if not (codes != "").any():
            continue
        keys, idx = np.unique(codes, return_inverse=True)
        rows = tab[tab["scope"] == level] if "scope" in tab else tab.iloc[:0]
        names = dict(zip(rows["unit"].astype(str), rows["unit_name"].fillna("").astype(str), strict=False))
        fallback = say(f"ind.unit.unattributed.{level}", lang)
        out.append(
            {
                "scope": level,
                "label": label(level, lang),
                "codes": [str(k) for k in keys],
                "names": [names.get(str(k)) or (str(k) if k else fallback) for k in keys],
                "idx": encode(idx, "u2" if len(keys) <= np.iinfo(np.uint16).max else "u4"),
            }
        )
    return out


def _sites_json(sites: gpd.GeoDataFrame) -> dict:
    """The sites' columns for the page: ids, names, tiers, kinds, WGS84 and GCJ-02 positions."""
    lon = sites.geometry.x.to_numpy(dtype=float)
    lat = sites.geometry.y.to_numpy(dtype=float)
    glon, glat = wgs84_to_gcj02(lon, lat)
    return {
        "id": sites["id"].astype(str).tolist(),
        "name": sites["name"].astype(str).tolist(),
        "tier": sites["tier"].astype(str).tolist(),
        "near": sites["near"].astype(str).tolist(),
        "kind": encode(sites["kind"].to_numpy(), "u1"),
        "lon": encode(lon, "f8"),
        "lat": encode(lat, "f8"),
        "lon_gcj": encode(glon, "f8"),
        "lat_gcj": encode(glat, "f8"),
    }
