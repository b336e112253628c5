"""Checks every demand model shares: columns found by name, population counts, ids, groups, the clip."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from ..admin import column_names, header_words, rows_msg
from ..common import Assumption, InputError, Msg
from ..crs import from_wgs84
from ..schema import GROUPS
from .base import ClipArea, DemandOptions, Where

_GROUP_ALIASES: dict[str, str] = {
    **{g: g for g in GROUPS},
    "total": "pop_total", "population": "pop_total",
    "60": "pop_60", "60+": "pop_60", "elderly": "pop_60",
    "80": "pop_80", "80+": "pop_80",
    "0_3": "pop_0_3", "0-3": "pop_0_3", "infants": "pop_0_3",
}  # fmt: skip


def pop_cols() -> tuple[str, ...]:
    """Usual names of a column of residents (English, then the catalogue's Chinese headers)."""
    return ("population", "pop", "pop_total", *header_words("demand.columns.pop"))


def is_group_key(key: object) -> bool:
    """Whether ``key`` names a population group (``pop_60``, ``60+``, ``elderly``, …)."""
    return str(key).strip().lower() in _GROUP_ALIASES


def find_col(df: pd.DataFrame, col: str | None, candidates: tuple[str, ...]) -> str | None:
    """``col`` when the table has it; without ``col``, the first candidate it has (any case)."""
    if col is not None:
        return col if col in df.columns else None
    lower = {str(c).strip().lower(): c for c in df.columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def columns_of(df: pd.DataFrame) -> Msg:
    """The table's columns (not geometry) for a message, at most 12."""
    return column_names([str(c) for c in df.columns if c != "geometry"], limit=12)


def pop_column(df: pd.DataFrame, pop_col: str, where: Where) -> str:
    """The column of residents: ``pop_col``, or a usual name when ``pop_col`` is the default."""
    if pop_col in df.columns:
        return pop_col
    if pop_col == "population":
        found = find_col(df, None, pop_cols())
        if found is not None:
            return found
    raise InputError("demand.no_population_column", where=where, col=pop_col, columns=columns_of(df))


def check_pop(values: pd.Series, where: Where, col: str, *, allow_nan: bool = False) -> np.ndarray:
    """Population counts as float; NaN (unless allowed), text and negatives raise `InputError`."""
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    text = np.isnan(num) & values.notna().to_numpy()
    if text.any():
        raise InputError("demand.pop_not_number", where=where, col=col, rows=rows_msg(text))
    if not allow_nan and np.isnan(num).any():
        raise InputError("demand.pop_empty", where=where, col=col, rows=rows_msg(np.isnan(num)))
    bad = (num < 0) | np.isinf(num)
    if bad.any():
        raise InputError("demand.pop_negative", where=where, col=col, rows=rows_msg(bad))
    return num


def check_some_population(pop: np.ndarray, where: Where, col: str, *, clipped: bool = False) -> None:
    """Raise `InputError` when ``pop`` holds no resident at all (no rows, or every row 0)."""
    total = float(np.sum(pop)) if len(pop) else 0.0
    if not np.isfinite(total):
        raise InputError("demand.pop_overflow", where=where, col=col, max=float(np.max(pop)))
    if total > 0:
        return
    if clipped:
        raise InputError("demand.pop_all_zero.clip", where=where, col=col, n=len(pop))
    raise InputError("demand.pop_all_zero", where=where, col=col, n=len(pop))


def table_ids(df: pd.DataFrame, id_col: str | None, where: Where) -> np.ndarray:
    """Ids of the rows: the id column (``id`` when present), else row numbers from 1."""
    col = id_col if id_col is not None else find_col(df, None, ("id",))
    if id_col is not None and id_col not in df.columns:
        raise InputError("demand.no_id_column", where=where, col=id_col, columns=columns_of(df))
    if col is None:
        return np.arange(1, len(df) + 1).astype(str).astype(object)
    ids = df[col]
    empty = ids.isna().to_numpy()
    if empty.any():
        raise InputError("demand.id_missing", where=where, col=col, rows=rows_msg(empty))
    ids = as_id(ids)
    dup = pd.Series(ids).duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError("demand.repeated_ids", where=where, col=col, rows=rows_msg(dup))
    return ids


def as_id(values: pd.Series) -> np.ndarray:
    """Ids as text: whole numbers without ``.0``, the rest stripped."""
    num = pd.to_numeric(values, errors="coerce")
    whole = num.notna() & np.isfinite(num) & (num == np.round(num.fillna(0)))
    out = values.astype(str).str.strip()
    out[whole] = num[whole].astype("int64").astype(str)
    return out.to_numpy(dtype=object)


def norm_groups(mapping: Mapping[str, object], where: Where, what: str) -> dict[str, object]:
    """``mapping`` keyed by group names (``60+`` → ``pop_60``); ``what`` names it in the error."""
    out: dict[str, object] = {}
    for key, val in mapping.items():
        g = _GROUP_ALIASES.get(str(key).strip().lower())
        if g is None:
            raise InputError("demand.not_a_group", where=where, what=what, key=key)
        out[g] = val
    return out


def groups_from_shares(
    pop: np.ndarray,
    groups: dict[str, np.ndarray],
    opts: DemandOptions,
    where: Where,
    assumptions: list[Assumption],
) -> dict[str, np.ndarray]:
    """Fill groups without counts from shares of the total (each an assumption), else NaN."""
    out = dict(groups)
    norm = norm_groups(opts.group_shares or {}, where, "group_shares")
    for g, share in norm.items():
        if g == "pop_total":
            raise InputError("demand.share_of_total", where=where)
        if g in out:
            raise InputError("demand.counts_and_share", where=where, group=g)
        try:
            s = float(share)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            s = np.nan
        if not (0.0 <= s <= 1.0):
            raise InputError("demand.bad_share", where=where, group=g, share=share)
        out[g] = pop * s
        msg = _share_msg(g, s)
        assumptions.append(
            Assumption(f"demand.share.{g}", s, "share of residents", msg=msg, source=opts.shares_source)
        )
    if "pop_60" in norm and "pop_80" in norm and float(norm["pop_80"]) > float(norm["pop_60"]):  # type: ignore[arg-type]
        raise InputError("demand.share_80_over_60", where=where)
    for g in GROUPS[1:]:
        out.setdefault(g, np.full(len(pop), np.nan))
    return out


def _share_msg(group: str, share: float) -> Msg:
    """The assumption that ``group`` is ``share`` of the residents."""
    if group == "pop_60":
        return Msg("demand.assumption.share.pop_60", share=share)
    if group == "pop_80":
        return Msg("demand.assumption.share.pop_80", share=share)
    return Msg("demand.assumption.share.pop_0_3", share=share)


def read_clip(clip: ClipArea, clip_crs: str | None) -> BaseGeometry | None:
    """The clip area in WGS84 (`lifecircle.geodata.sources.read_clip`), or ``None``."""
    from ..sources import read_clip as _read_clip

    return _read_clip(clip, clip_crs)


def clip_mask(geoms: np.ndarray, opts: DemandOptions, where: Where) -> np.ndarray | None:
    """Which points lie in the clip area (``None`` without one); no point inside is an error."""
    area = read_clip(opts.clip, opts.clip_crs)
    if area is None:
        return None
    keep = shapely.intersects(geoms, area)
    if not keep.any():
        raise InputError("demand.clip_no_points", where=where)
    return keep


def geom_to(geom: BaseGeometry, crs: str | pyproj.CRS) -> BaseGeometry:
    """A WGS84 geometry in ``crs`` (an EPSG CRS, or ``gcj02``/``bd09``)."""
    gs = gpd.GeoDataFrame(geometry=[geom], crs=4326)
    if isinstance(crs, str):
        return from_wgs84(gs, crs).geometry.iloc[0]
    return gs.to_crs(crs).geometry.iloc[0]
