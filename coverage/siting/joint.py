r"""Joint siting of several services (an elderly station and a childcare point) in shared buildings."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...geodata.common import InputError, Msg
from ._builder import ModelBuilder, entry_rows
from ._capacity import CapBlock, capacitated_block, check_capacities, finish_capacitated
from ._highs import HighsSettings, MilpSolution
from ._reduce import reduce_cover
from ._solve import Outcome, finish_cover, relative_gap
from .problem import SitingProblem
from .result import SitingResult


@dataclass
class JointSiting:
    r"""Open shared buildings and choose which services each hosts, maximizing weighted coverage.

    For services :math:`s` (e.g. ``elderly`` and ``childcare``) over the same candidate
    buildings :math:`j`:

    .. math::

        \max \sum_s \alpha_s\, C_s
        \quad\text{s.t.}\quad x^s_j \le o_j \;\; \forall s, j, \qquad
        \sum_{j} o_j \le P, \qquad \sum_j x^s_j \le p_s, \qquad
        \sum_j f_j o_j + \sum_s \sum_j c^s_j x^s_j \le B

    where :math:`o_j` opens building ``j`` (a community-service building holding both an
    elderly station and a childcare point, e.g.), :math:`x^s_j` places service ``s`` in it,
    and :math:`C_s` is service ``s``'s coverage: for a service with capacities, the need
    assigned within reach and capacity (`CapacitatedCoverage` rows with :math:`x^s`); otherwise
    the covered weight :math:`\sum_i w^s_i y^s_i` with :math:`y^s_i \le e^s_i + \sum_j a^s_{ij}
    x^s_j` (`MCLP` rows). Fixed sites of a service fix :math:`x^s_j = o_j = 1` and are not
    counted in :math:`P`, :math:`p_s` or :math:`B`. Existing services always count.

    Parameters
    ----------
    services
        One `SitingProblem` per service, all over the same candidates (in the same order);
        a problem with ``capacity`` is modelled with capacities.
    p_sites
        Number of new buildings :math:`P` (``None``: no cap).
    p
        Optional cap per service on new placements :math:`p_s`.
    service_weight
        :math:`\alpha_s` per service (default 1), e.g. to weigh a child place against an
        elderly resident.
    budget
        Optional budget :math:`B`.
    site_cost
        Cost :math:`f_j` of opening each building (default 0).
    service_cost
        Cost :math:`c^s_j` of placing each service (default: the problem's ``cost`` when a
        budget is given).
    """

    services: dict[str, SitingProblem]
    p_sites: int | None = None
    p: dict[str, int] | None = None
    service_weight: dict[str, float] | None = None
    budget: float | None = None
    site_cost: np.ndarray | None = None
    service_cost: dict[str, np.ndarray] | None = None

    def solve(self, *, time_limit: float = 60.0, mip_gap: float = 0.0, threads: int = 1) -> SitingResult:
        """Solve with HiGHS; ``result.by_service`` holds each service's own explained result."""
        t0 = time.perf_counter()
        jm = _columns(self, _check(self))
        _limits(self, jm)
        _service_blocks(self, jm)
        start = np.zeros(jm.mb.n_col)
        for c, v in jm.fix.items():
            start[c] = v
        settings = HighsSettings(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        sol = jm.mb.solve(maximize=True, offset=jm.offset, start=start, settings=settings, fix=jm.fix)
        x = sol.x if sol.x is not None else start
        by_service = {s: _service_result(self.services[s], s, jm, x, sol.status) for s in jm.names}
        res = _joint_result(self, jm, x, sol, by_service)
        res.by_service = by_service
        res.seconds = time.perf_counter() - t0
        return res


def _check(js: JointSiting) -> list[str]:
    """The service names, once every service has the same candidates and some limit is given."""
    names = list(js.services)
    if not names:
        raise InputError("siting.joint.no_services")
    n = js.services[names[0]].n_candidates
    for s in names:
        if js.services[s].n_candidates != n:
            raise InputError(
                "siting.joint.candidates_differ",
                service=s,
                n=js.services[s].n_candidates,
                first=names[0],
                n_first=n,
            )
    if js.p_sites is None and js.budget is None and not js.p:
        raise InputError("siting.joint.no_limit")
    for s in js.p or {}:
        if s not in js.services:
            raise InputError("siting.joint.unknown_service", service=s, names=str(names))
    return names


@dataclass
class _JointModel:
    """The joint MILP and where its parts are.

    Attributes
    ----------
    names
        The services.
    alpha
        Objective weight of each service.
    mb
        The model.
    o
        Building columns :math:`o_j`.
    xs
        Placement columns :math:`x^s_j` of each service.
    fixed_any
        Buildings fixed open by some service.
    fix
        Columns pinned to 1 (fixed placements and their buildings).
    blocks
        Per service: ``("cap", CapBlock)`` or ``("cover", weight covered before)``.
    offset
        Constant part of the objective.
    """

    names: list[str]
    alpha: dict[str, float]
    mb: ModelBuilder
    o: np.ndarray
    xs: dict[str, np.ndarray]
    fixed_any: np.ndarray
    fix: dict[int, float]
    blocks: dict[str, tuple[str, CapBlock | float]] = field(default_factory=dict)
    offset: float = 0.0

    def free(self, pb: SitingProblem) -> np.ndarray:
        """Candidates not fixed for the service of ``pb``."""
        fr = np.ones(len(self.o), bool)
        fr[pb.fixed] = False
        return fr


def _columns(js: JointSiting, names: list[str]) -> _JointModel:
    """Building and placement columns, the fixed ones pinned, and the rows ``x^s_j − o_j ≤ 0``."""
    n = js.services[names[0]].n_candidates
    alpha = {s: float((js.service_weight or {}).get(s, 1.0)) for s in names}
    mb = ModelBuilder()
    o = mb.add_cols(n, integer=True) + np.arange(n)
    xs = {s: mb.add_cols(n, integer=True) + np.arange(n) for s in names}
    fixed_any = np.zeros(n, bool)
    fix: dict[int, float] = {}
    for s in names:
        f = js.services[s].fixed
        fixed_any[f] = True
        fix.update({int(c): 1.0 for c in xs[s][f]})
    fix.update({int(c): 1.0 for c in o[fixed_any]})
    k = np.arange(n)
    for s in names:
        mb.add_rows(n, np.r_[k, k], np.r_[xs[s], o], np.r_[np.ones(n), -np.ones(n)], hi=0.0)
    return _JointModel(names, alpha, mb, o, xs, fixed_any, fix)


def _limits(js: JointSiting, jm: _JointModel) -> None:
    """The count rows (buildings, each service) and the budget row, over what is not fixed."""
    mb, free = jm.mb, ~jm.fixed_any
    if js.p_sites is not None:
        mb.add_rows(1, np.zeros(int(free.sum()), np.int64), jm.o[free], 1.0, hi=float(js.p_sites))
    for s, ps in (js.p or {}).items():
        fr = jm.free(js.services[s])
        mb.add_rows(1, np.zeros(int(fr.sum()), np.int64), jm.xs[s][fr], 1.0, hi=float(ps))
    if js.budget is None:
        return
    fcost = np.zeros(len(jm.o)) if js.site_cost is None else np.asarray(js.site_cost, dtype=np.float64)
    cols, vals = [jm.o[free]], [fcost[free]]
    for s in jm.names:
        fr = jm.free(js.services[s])
        c = (js.service_cost or {}).get(s, js.services[s].cost)
        cols.append(jm.xs[s][fr])
        vals.append(np.asarray(c, dtype=np.float64)[fr])
    cc = np.concatenate(cols)
    mb.add_rows(1, np.zeros(len(cc), np.int64), cc, np.concatenate(vals), hi=float(js.budget))


def _service_blocks(js: JointSiting, jm: _JointModel) -> None:
    """Each service's coverage: capacitated assignment, or covering rows ``y_i − Σ_j a_ij x^s_j ≤ 0``."""
    mb = jm.mb
    for s in jm.names:
        pb, alpha = js.services[s], jm.alpha[s]
        if pb.capacity is not None:
            check_capacities(pb, Msg("siting.model.joint_service", service=s))
            blk = capacitated_block(mb, pb, jm.xs[s], scale=alpha)
            jm.blocks[s] = ("cap", blk)
            jm.offset += blk.offset
            continue
        red = reduce_cover(pb, model="mclp", dominance=False)
        y0 = mb.add_cols(red.shape[0], cost=alpha * red.weight)
        a = red.a.tocsr()
        r = entry_rows(a)
        m = red.shape[0]
        mb.add_rows(
            m,
            np.r_[np.arange(m), r],
            np.r_[y0 + np.arange(m), jm.xs[s][red.cols[a.indices]]],
            np.r_[np.ones(m), -np.ones(len(r))],
            hi=0.0,
        )
        base = float(pb.weights[pb.base_covered].sum())
        jm.blocks[s] = ("cover", base)
        jm.offset += alpha * base


def _service_result(pb: SitingProblem, s: str, jm: _JointModel, x: np.ndarray, status: str) -> SitingResult:
    """Service ``s``'s own explained result from the joint solution."""
    hosted = np.flatnonzero(x[jm.xs[s]] > 0.5)
    kind, info = jm.blocks[s]
    if kind == "cap":
        alpha = jm.alpha[s]
        zc = x[info.z_cand : info.z_cand + len(info.cand_row)].sum()
        ze = x[info.z_exist : info.z_exist + len(info.ex_row)].sum()
        obj = float(zc + ze) + info.offset / alpha if alpha else math.nan
        out = Outcome(obj, math.nan, status, "highs", math.nan, {})
        return finish_capacitated(pb, f"joint:{s}", hosted, x, info, out, time.perf_counter())
    new = np.setdiff1d(hosted, pb.fixed)
    cov = pb.base_covered | (np.asarray(pb.cover_csc[:, new].sum(axis=1)).ravel() > 0)
    out = Outcome(float(pb.weights[cov].sum()), math.nan, status, "highs", math.nan, {})
    return finish_cover(pb, f"joint:{s}", new, out, time.perf_counter())


def _joint_result(
    js: JointSiting, jm: _JointModel, x: np.ndarray, sol: MilpSolution, by_service: dict[str, SitingResult]
) -> SitingResult:
    """The buildings opened, by weighted gain, with what each hosts, and every service's indicators."""
    names = jm.names
    opened = np.flatnonzero((x[jm.o] > 0.5) & ~jm.fixed_any)
    gain = np.zeros(len(opened))
    hosts = {s: np.isin(opened, by_service[s].sites) | np.isin(opened, js.services[s].fixed) for s in names}
    for s in names:
        g = pd.Series(np.asarray(by_service[s].gains, dtype=float), index=by_service[s].sites)
        gain += jm.alpha[s] * g.reindex(opened).fillna(0.0).to_numpy()
    order = np.lexsort((opened, -gain))
    sites, gain = opened[order], gain[order]
    objective = float(jm.mb.cost @ x) + jm.offset
    first = js.services[names[0]]
    table = pd.DataFrame({"rank": np.arange(1, len(sites) + 1), "candidate": sites, "gain": gain})
    table.insert(1, "site", first.candidate_label(sites))
    for s in names:
        table[s] = hosts[s][order]
        tab = by_service[s].sites_table.set_index("candidate")
        for col in ("new_weight", "load", "capacity_used"):
            if col in tab:
                table[f"{s}_{col}"] = tab[col].reindex(sites).to_numpy()
    ind = pd.concat([by_service[s].indicators.assign(service=s) for s in names], ignore_index=True)
    return SitingResult(
        model="joint",
        sites=sites,
        site_ids=first.candidate_label(sites),
        gains=gain,
        fixed=np.flatnonzero(jm.fixed_any),
        objective=objective,
        bound=float(sol.bound),
        gap=relative_gap(sol.bound, objective),
        status=sol.status if sol.x is not None else "heuristic",
        solver="highs",
        solve_seconds=sol.seconds,
        stats={
            "nodes": sol.nodes,
            "columns": jm.mb.n_col,
            "rows": jm.mb.n_row,
            "hosted": {s: int(hosts[s].sum()) for s in names},
        },
        sites_table=table,
        indicators=ind,
        assumptions=tuple(a for s in names for a in js.services[s].assumptions),
    )
