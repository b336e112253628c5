"""Cost matrices read one way: canonical CSR, stored zeros kept, unreachable pairs left out.

See `lifecircle.coverage.siting.problem` for what a cost matrix means.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ...geodata.common import InputError, Msg


def times_matrix(m: np.ndarray | sp.spmatrix, what: Msg, where: str | Msg) -> sp.csr_matrix:
    """Canonical CSR of a dense or sparse cost matrix.

    Stored zeros stay; ``inf``/NaN entries are dropped (not within reach); booleans stay
    booleans; negative values and pairs stored twice are errors.

    Parameters
    ----------
    m
        The matrix (dense, or scipy sparse in any layout).
    what
        What the matrix is, for messages (the reach matrix, the existing-site matrix).
    where
        The input it comes from, for messages.
    """
    if not sp.issparse(m):
        arr = np.asarray(m)
        if arr.ndim != 2:
            raise InputError("siting.matrix.not_2d", where=where, what=what)
        if arr.dtype == np.bool_:
            return sp.csr_matrix(arr)
        if not np.issubdtype(arr.dtype, np.number):
            raise InputError("siting.matrix.not_numbers", where=where, what=what, dtype=str(arr.dtype))
        out = dense_times(arr)
    else:
        if m.ndim != 2:
            raise InputError("siting.matrix.not_2d", where=where, what=what)
        if m.format not in {"csr", "csc"} or not m.has_canonical_format:
            _check_no_duplicates(m, what, where)
        out = sp.csr_matrix(m)
        out.sort_indices()
        if out.dtype == np.bool_:
            return out
        out = out.astype(np.float64)
    if (out.data < 0).any():
        raise InputError("siting.matrix.negative", where=where, what=what)
    finite = np.isfinite(out.data)
    return out if finite.all() else mask_entries(out, finite)


def _check_no_duplicates(m: sp.spmatrix, what: Msg, where: str | Msg) -> None:
    """Raise `InputError` when a sparse matrix stores a pair twice (scipy would add them up)."""
    coo = m.tocoo()
    key = coo.row.astype(np.int64) * m.shape[1] + coo.col
    key.sort()
    dup = np.flatnonzero(key[1:] == key[:-1])
    if len(dup):
        i, j = divmod(int(key[dup[0]]), m.shape[1])
        raise InputError("siting.matrix.duplicate_pair", where=where, what=what, i=i, j=j)


def dense_times(arr: np.ndarray) -> sp.csr_matrix:
    """CSR of a dense seconds matrix; ``inf``/NaN mark unreachable pairs, zeros are kept."""
    arr = np.asarray(arr, dtype=np.float64)
    r, c = np.nonzero(np.isfinite(arr))
    return sp.csr_matrix((arr[r, c], (r, c)), shape=arr.shape)


def row_of_entries(m: sp.csr_matrix) -> np.ndarray:
    """Row index of every stored entry of a CSR matrix."""
    return np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))


def entry_mask(m: sp.csr_matrix, thr: np.ndarray) -> np.ndarray:
    """Which stored entries cover: true entries of a boolean matrix, ``t <= threshold`` otherwise."""
    if m.dtype == np.bool_:
        return m.data.astype(bool)
    return m.data <= thr[row_of_entries(m)]


def mask_entries(m: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """Copy of CSR ``m`` keeping only the stored entries flagged in ``keep`` (explicit zeros stay)."""
    rows = row_of_entries(m)[keep]
    indptr = np.zeros(m.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=m.shape[0]), out=indptr[1:])
    return sp.csr_matrix((m.data[keep], m.indices[keep], indptr), shape=m.shape)


def cover_pattern(m: sp.csr_matrix, thr: np.ndarray) -> sp.csr_matrix:
    """Boolean coverage pattern of ``m`` under per-row thresholds."""
    keep = entry_mask(m, thr)
    out = mask_entries(m, keep)
    out.data = np.ones(len(out.data), dtype=bool)
    return out
