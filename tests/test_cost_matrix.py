"""A cost matrix means what it says: a stored 0 is a zero cost, a pair not stored is out of reach.

The same instance given as a dense array and as every scipy sparse layout (with explicit zeros)
gives the same answer; the p-median runs without a threshold; degenerate inputs are named.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from lifecircle.coverage.siting import (
    LSCP,
    MCLP,
    BudgetCoverage,
    CapacitatedCoverage,
    PMedian,
    siting_problem,
)
from lifecircle.geodata.common import InputError

INF = np.inf


def classic_instance():
    """Seven homes on a street that are also the seven candidate sites (zero diagonal).

    Positions 0, 1, 2, 6, 7, 9, 12 minutes along the street, weights 2, 1, 4, 1, 3, 5, 1.
    """
    x = np.array([0, 1, 2, 6, 7, 9, 12], dtype=float) * 60.0
    w = np.array([2, 1, 4, 1, 3, 5, 1], dtype=float)
    return np.abs(x[:, None] - x[None, :]), w


def brute_pmedian(d: np.ndarray, w: np.ndarray, p: int) -> tuple[float, tuple[int, ...], int]:
    """Best objective over all p-subsets, the best subset, and how many subsets reach it."""
    vals = {s: float(w @ d[:, list(s)].min(axis=1)) for s in itertools.combinations(range(d.shape[1]), p)}
    best = min(vals.values())
    arg = [s for s, v in vals.items() if v == best]
    return best, arg[0], len(arg)


def with_explicit_zeros(d: np.ndarray) -> sp.coo_matrix:
    """Every finite entry of ``d`` stored, zeros included (``coo_matrix(d)`` would drop them)."""
    r, c = np.nonzero(np.isfinite(d))
    return sp.coo_matrix((d[r, c], (r, c)), shape=d.shape)


def all_forms(d: np.ndarray) -> dict[str, object]:
    """The same matrix dense and in every sparse layout, explicit zeros stored."""
    coo = with_explicit_zeros(d)
    return {
        "dense": d,
        "coo": coo,
        "csr": coo.tocsr(),
        "csc": coo.tocsc(),
        "csr_array": sp.csr_array(coo.tocsr()),
        "coo_array": sp.coo_array(coo),
    }


@pytest.mark.parametrize("p", [1, 2, 3])
def test_classic_pmedian_same_optimum_in_every_form(p):
    d, w = classic_instance()
    best, subset, n_best = brute_pmedian(d, w, p)
    assert n_best == 1  # unique by construction, so the chosen sites can be asserted too
    assert best == {1: 3360.0, 2: 1020.0, 3: 540.0}[p]
    for name, m in all_forms(d).items():
        if name != "dense":
            assert m.nnz == d.size  # the seven zeros are stored
        res = PMedian.from_cost_matrix(m, w, p).solve()
        assert res.objective == pytest.approx(best), name
        assert res.optimal and res.bound == pytest.approx(best), name
        assert sorted(res.sites.tolist()) == list(subset), name
        assert res.stats["unserved"] == 0, name
        # a home standing on an open site walks 0 s and is assigned there
        asg = res.assignment.set_index("demand")
        for j in subset:
            assert asg.loc[j, "candidate"] == j and asg.loc[j, "seconds"] == 0.0, name


def test_pmedian_without_threshold_equals_a_huge_threshold():
    d, w = classic_instance()
    m = with_explicit_zeros(d).tocsr()
    no_thr = PMedian(siting_problem(m, w, threshold_s=INF), 2).solve()
    huge = PMedian(siting_problem(m, w, threshold_s=10 * d.max()), 2).solve()
    assert no_thr.objective == pytest.approx(1020.0) and huge.objective == pytest.approx(1020.0)
    keys = [a.unit for a in no_thr.assumptions if a.key == "siting.pmedian.unserved"]
    assert keys == ["× longest time"]


def test_sparse_without_its_zeros_means_those_pairs_are_out_of_reach():
    # scipy drops the zero diagonal of a dense array: a home may then not use the site it stands on
    d, w = classic_instance()
    m = sp.csr_matrix(d)
    assert m.nnz == d.size - 7
    no_diag = d.copy()
    np.fill_diagonal(no_diag, INF)
    best, _, _ = brute_pmedian(no_diag, w, 3)
    res = PMedian.from_cost_matrix(m, w, 3).solve()
    assert res.objective == pytest.approx(best) and best > 540.0
    # the same reading from a dense array that marks those pairs inf
    assert PMedian.from_cost_matrix(no_diag, w, 3).solve().objective == pytest.approx(best)


def gap_instance():
    """Three homes, two sites; site 0 is close to homes 0 and 1 but has no time to home 2.

    site 0: 60, 60, -        site 1: 300, 300, 300      weights 1, 1, 1
    """
    rows = np.array([0, 1, 1, 0, 2])
    cols = np.array([0, 0, 1, 1, 1])
    vals = np.array([60.0, 60.0, 300.0, 300.0, 300.0])
    return sp.coo_matrix((vals, (rows, cols)), shape=(3, 2)), np.ones(3)


def test_missing_pair_is_unreachable_not_zero():
    m, w = gap_instance()
    # read as 0 s, the missing pair would make site 0 the answer (60 + 60 + 0 = 120);
    # out of reach, site 0 leaves home 2 unserved at 10 × 300 s: site 1 (900) is the unique optimum
    res = PMedian.from_cost_matrix(m, w, 1).solve()
    assert res.objective == pytest.approx(900.0) and res.optimal
    assert res.sites.tolist() == [1] and res.stats["unserved"] == 0
    # a stored inf says the same as a missing pair
    stored_inf = sp.coo_matrix((np.r_[m.data, INF], (np.r_[m.row, 2], np.r_[m.col, 0])), shape=(3, 2))
    assert PMedian.from_cost_matrix(stored_inf, w, 1).solve().objective == pytest.approx(900.0)
    # with two sites everyone walks to the nearer one: 60 + 60 + 300
    assert PMedian.from_cost_matrix(m, w, 2).solve().objective == pytest.approx(420.0)


def test_pmedian_row_without_any_time_is_named():
    m, _ = gap_instance()
    m = sp.vstack([m, sp.coo_matrix((1, 2))]).tocsr()  # a fourth home with no stored time
    with pytest.raises(InputError, match="demand point 3 has no stored time") as e:
        PMedian.from_cost_matrix(m, np.ones(4), 1).solve()
    assert "需求点 3" in e.value.zh
    # with weight 0 it does not matter; with a threshold it is reported as unreachable
    assert PMedian.from_cost_matrix(m, [1, 1, 1, 0], 1).solve().objective == pytest.approx(900.0)
    res = PMedian.from_cost_matrix(m, np.ones(4), 1, threshold=600.0).solve()
    assert res.uncoverable.tolist() == [3] and res.objective == pytest.approx(900.0)


def zero_walk_instance():
    """Home 0 stands on site 0 (0 s, stored); home 1 is 500 s from it; weights 3, 4."""
    return np.array([[0.0], [500.0]]), np.array([3.0, 4.0])


def test_covering_models_count_a_zero_second_walk():
    d, w = zero_walk_instance()
    for name, m in all_forms(d).items():
        mc = MCLP.from_cost_matrix(m, w, 300.0, 1).solve()
        assert mc.objective == 3.0 and mc.covered_after.tolist() == [True, False], name
        ls = LSCP.from_cost_matrix(m, 300.0, w).solve()
        assert ls.objective == 1 and ls.covered_after.tolist() == [True, False], name
        assert ls.uncoverable.tolist() == [1], name
        bc = BudgetCoverage.from_cost_matrix(m, w, 300.0, 1.0).solve()
        assert bc.objective == 3.0, name


def test_dense_existing_matrix_keeps_its_zero():
    d, w = zero_walk_instance()
    ex = np.array([[0.0], [INF]])  # an existing station where home 0 stands
    pb = siting_problem(d, w, threshold_s=300.0, existing=ex)
    assert pb.existing_covered.tolist() == [True, False]
    assert pb.existing_reach.nnz == 1


def test_capacitated_with_no_capacity_says_so():
    d, w = zero_walk_instance()
    with pytest.raises(InputError, match="every candidate has capacity 0") as e:
        CapacitatedCoverage.from_cost_matrix(d, w, 300.0, [0.0], p=1).solve()
    assert "容量都是 0" in e.value.zh
    ex = sp.csr_matrix(np.array([[100.0], [200.0]]))
    with pytest.raises(InputError, match="every existing site has capacity 0"):
        CapacitatedCoverage.from_cost_matrix(
            d, w, 300.0, [5.0], p=1, existing=ex, existing_capacity=[0.0]
        ).solve()
    # with some capacity the home on the site is served (3 of its 3)
    res = CapacitatedCoverage.from_cost_matrix(with_explicit_zeros(d), w, 300.0, [5.0], p=1).solve()
    assert res.objective == pytest.approx(3.0) and res.optimal


def test_joint_siting_service_with_no_capacity_says_so():
    from lifecircle.coverage.siting import JointSiting

    d, w = zero_walk_instance()
    sv = {
        "elderly": siting_problem(d, w, threshold_s=300.0),
        "childcare": siting_problem(d, w, threshold_s=300.0, capacity=[0.0]),
    }
    with pytest.raises(InputError, match=r"service 'childcare'.*every candidate has capacity 0"):
        JointSiting(sv, p_sites=1).solve()


def test_bad_cost_matrices_are_named():
    d, w = zero_walk_instance()
    dup = sp.coo_matrix((np.array([0.0, 50.0, 500.0]), ([0, 0, 1], [0, 0, 0])), shape=(2, 1))
    with pytest.raises(InputError, match=r"pair \(0, 0\) more than once"):
        siting_problem(dup, w, threshold_s=300.0)
    with pytest.raises(InputError, match="negative seconds"):
        siting_problem(sp.csr_matrix(-d - 1), w, threshold_s=300.0)
    with pytest.raises(InputError, match="threshold_s"):
        siting_problem(d, w, threshold_s=np.nan)


SOLVE_QUIETLY = """
import numpy as np
from lifecircle.coverage.siting import MCLP, PMedian
d = np.abs(np.arange(6.0)[:, None] - np.arange(6.0)[None, :]) * 60
print("objective", PMedian.from_cost_matrix(d, None, 2).solve().objective)
print("objective", MCLP.from_cost_matrix(d, None, 60.0, 2).solve(method="exact").objective)
"""


def test_highs_prints_nothing(capfd):
    # in this process (HiGHS prints its banner at most once per process) ...
    d, w = classic_instance()
    PMedian.from_cost_matrix(d, w, 2).solve()
    MCLP.from_cost_matrix(d, w, 120.0, 2).solve(method="exact")
    out, err = capfd.readouterr()
    for word in ("HiGHS", "Running", "Copyright"):
        assert word not in out and word not in err
    # ... and in a fresh one, where the banner would come first
    proc = subprocess.run([sys.executable, "-c", SOLVE_QUIETLY], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["objective", "240.0", "objective", "6.0"]
    assert proc.stderr == ""
