r"""Joint siting of several services (an elderly station and a childcare point) in shared buildings."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...geodata.common import InputError
from ._builder import ModelBuilder, entry_rows
from .capacitated import capacitated_block, check_capacities, finish_capacitated
from .problem import SitingProblem
from .reduce import reduce_cover
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
        names = list(self.services)
        if not names:
            raise InputError(
                "joint siting: give at least one service problem.",
                zh="联合选址：请至少给出一项服务的选址问题。",
            )
        n = self.services[names[0]].n_candidates
        for s in names:
            if self.services[s].n_candidates != n:
                raise InputError(
                    f"joint siting: service {s!r} has {self.services[s].n_candidates} candidates, "
                    f"{names[0]!r} has {n}; give every service the same candidate buildings.",
                    zh=(
                        f"联合选址：服务 {s!r} 有 {self.services[s].n_candidates} 个候选点，"
                        f"而 {names[0]!r} 有 {n} 个；请为每项服务给出相同的候选建筑。"
                    ),
                )
        if self.p_sites is None and self.budget is None and not self.p:
            raise InputError(
                "joint siting: give 'p_sites', a per-service 'p' or a 'budget'.",
                zh="联合选址：请给出 'p_sites'、按服务的 'p' 或预算 'budget'。",
            )
        alpha = {s: float((self.service_weight or {}).get(s, 1.0)) for s in names}
        mb = ModelBuilder()
        o = mb.add_cols(n, integer=True) + np.arange(n)
        xs = {s: mb.add_cols(n, integer=True) + np.arange(n) for s in names}
        fixed_any = np.zeros(n, bool)
        fix: dict[int, float] = {}
        for s in names:
            f = self.services[s].fixed
            fixed_any[f] = True
            fix.update({int(c): 1.0 for c in xs[s][f]})
        fix.update({int(c): 1.0 for c in o[fixed_any]})
        for s in names:  # x^s_j − o_j ≤ 0
            k = np.arange(n)
            mb.add_rows(n, np.r_[k, k], np.r_[xs[s], o], np.r_[np.ones(n), -np.ones(n)], hi=0.0)
        free = ~fixed_any
        if self.p_sites is not None:
            mb.add_rows(1, np.zeros(int(free.sum()), np.int64), o[free], 1.0, hi=float(self.p_sites))
        for s, ps in (self.p or {}).items():
            if s not in xs:
                raise InputError(
                    f"joint siting: 'p' names service {s!r}, which is not among {names}.",
                    zh=f"联合选址：'p' 中的服务 {s!r} 不在 {names} 之中。",
                )
            fr = np.ones(n, bool)
            fr[self.services[s].fixed] = False
            mb.add_rows(1, np.zeros(int(fr.sum()), np.int64), xs[s][fr], 1.0, hi=float(ps))
        if self.budget is not None:
            fcost = np.zeros(n) if self.site_cost is None else np.asarray(self.site_cost, dtype=np.float64)
            cols, vals = [o[free]], [fcost[free]]
            for s in names:
                fr = np.ones(n, bool)
                fr[self.services[s].fixed] = False
                c = (self.service_cost or {}).get(s, self.services[s].cost)
                cols.append(xs[s][fr])
                vals.append(np.asarray(c, dtype=np.float64)[fr])
            cc = np.concatenate(cols)
            mb.add_rows(1, np.zeros(len(cc), np.int64), cc, np.concatenate(vals), hi=float(self.budget))
        blocks, offset = {}, 0.0
        for s in names:
            pb = self.services[s]
            if pb.capacity is not None:
                check_capacities(pb, f"joint siting, service {s!r}", f"联合选址（服务 {s!r}）")
                blocks[s] = ("cap", capacitated_block(mb, pb, xs[s], scale=alpha[s]))
                offset += blocks[s][1].offset
            else:
                red = reduce_cover(pb, model="mclp", dominance=False)
                y0 = mb.add_cols(red.shape[0], cost=alpha[s] * red.weight)
                a = red.a.tocsr()
                r = entry_rows(a)
                m = red.shape[0]
                mb.add_rows(
                    m,
                    np.r_[np.arange(m), r],
                    np.r_[y0 + np.arange(m), xs[s][red.cols[a.indices]]],
                    np.r_[np.ones(m), -np.ones(len(r))],
                    hi=0.0,
                )
                base = float(pb.weights[pb.base_covered].sum())
                blocks[s] = ("cover", base)
                offset += alpha[s] * base
        start = np.zeros(mb.n_col)
        for c, v in fix.items():
            start[c] = v
        sol = mb.solve(
            maximize=True,
            offset=offset,
            start=start,
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            fix=fix,
        )
        x = sol.x if sol.x is not None else start
        by_service: dict[str, SitingResult] = {}
        for s in names:
            pb = self.services[s]
            hosted = np.flatnonzero(x[xs[s]] > 0.5)
            kind, info = blocks[s]
            if kind == "cap":
                zc = x[info.z_cand : info.z_cand + len(info.cand_row)].sum()
                ze = x[info.z_exist : info.z_exist + len(info.ex_row)].sum()
                obj = float(zc + ze) + info.offset / alpha[s] if alpha[s] else math.nan
                by_service[s] = finish_capacitated(
                    pb,
                    f"joint:{s}",
                    hosted,
                    x,
                    info,
                    objective=obj,
                    bound=math.nan,
                    status=sol.status,
                    t0=time.perf_counter(),
                    solve_s=0.0,
                    stats={},
                    heur=math.nan,
                )
            else:
                from .models import _finish

                new = np.setdiff1d(hosted, pb.fixed)
                cov = pb.base_covered | (np.asarray(pb.cover_csc[:, new].sum(axis=1)).ravel() > 0)
                by_service[s] = _finish(
                    pb,
                    f"joint:{s}",
                    new,
                    objective=float(pb.weights[cov].sum()),
                    bound=math.nan,
                    status=sol.status,
                    solver="highs",
                    t0=time.perf_counter(),
                    solve_s=0.0,
                    stats={},
                    heur=math.nan,
                )
        opened = np.flatnonzero((x[o] > 0.5) & free)
        gain = np.zeros(len(opened))
        hosts = {
            s: np.isin(opened, by_service[s].sites) | np.isin(opened, self.services[s].fixed) for s in names
        }
        for s in names:
            g = pd.Series(np.asarray(by_service[s].gains, dtype=float), index=by_service[s].sites)
            gain += alpha[s] * g.reindex(opened).fillna(0.0).to_numpy()
        order = np.lexsort((opened, -gain))
        sites, gain = opened[order], gain[order]
        objective = float(mb.cost @ x) + offset
        gap = abs(sol.bound - objective) / max(abs(objective), 1e-9) if math.isfinite(sol.bound) else math.nan
        table = pd.DataFrame({"rank": np.arange(1, len(sites) + 1), "candidate": sites, "gain": gain})
        first = self.services[names[0]]
        table.insert(1, "site", first.candidate_label(sites))
        for s in names:
            table[s] = hosts[s][order]
            tab = by_service[s].sites_table.set_index("candidate")
            for col in ("new_weight", "load", "capacity_used"):
                if col in tab:
                    table[f"{s}_{col}"] = tab[col].reindex(sites).to_numpy()
        ind = pd.concat([by_service[s].indicators.assign(service=s) for s in names], ignore_index=True)
        res = SitingResult(
            model="joint",
            sites=sites,
            site_ids=first.candidate_label(sites),
            gains=gain,
            fixed=np.flatnonzero(fixed_any),
            objective=objective,
            bound=float(sol.bound),
            gap=gap,
            status=sol.status if sol.x is not None else "heuristic",
            solver="highs",
            solve_seconds=sol.seconds,
            stats={
                "nodes": sol.nodes,
                "columns": mb.n_col,
                "rows": mb.n_row,
                "hosted": {s: int(hosts[s].sum()) for s in names},
            },
            sites_table=table,
            indicators=ind,
            assumptions=tuple(a for s in names for a in self.services[s].assumptions),
        )
        res.by_service = by_service
        res.seconds = time.perf_counter() - t0
        return res
