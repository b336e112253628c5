"""Admin units of the indicator table: the unit table, each row's unit path, and the units per scope.

A demand point or facility belongs to a path ``(district, street, community)`` of codes (names are
mapped to codes through the optional admin-unit table). Each scope (``total``, ``district``,
``street``, ``community``) is a `Level`: its units, sorted by path, with names, parents,
urban/rural class, and the unit of each demand point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...geodata.common import InputError, Msg
from ..standards import Standards
from .notes import unit_name

#: Scopes of the table's rows, from the top.
SCOPES: tuple[str, ...] = ("total", "district", "street", "community")
#: Areas reported: every unit, and the urban and rural splits.
AREAS: tuple[str, ...] = ("all", "urban", "rural")
#: Admin levels below the total.
ADMIN_LEVELS: tuple[str, ...] = ("district", "street", "community")
#: Separator of the codes in a unit's path key.
SEP = "\x1f"
#: Catalogue ids of the names of the rows holding demand that no unit of a level claims (a
#: district without a code is named by the jurisdiction when the standards are given).
_UNATTRIBUTED = {
    "district": "ind.unit.unattributed.district",
    "street": "ind.unit.unattributed.street",
    "community": "ind.unit.unattributed.community",
}

#: A unit path per row: district, street and community codes ("" where unknown).
Paths = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Level:
    """The units of one scope.

    Attributes
    ----------
    scope
        ``total``, ``district``, ``street`` or ``community``.
    keys
        Path strings of the units, sorted.
    unit, unit_name, parent
        Code, name and parent code of each unit.
    unit_class
        ``urban``, ``rural``, ``mixed`` or ``""`` per unit.
    has_urban, has_rural
        Whether the unit holds demand of that class.
    idx
        The unit of each demand point.
    """

    scope: str
    keys: np.ndarray
    unit: np.ndarray
    unit_name: np.ndarray
    parent: np.ndarray
    unit_class: np.ndarray
    has_urban: np.ndarray
    has_rural: np.ndarray
    idx: np.ndarray

    def index_of(self, paths: np.ndarray) -> np.ndarray:
        """Index of each path key in `keys` (-1: not a unit of this level)."""
        return pd.Index(self.keys).get_indexer(paths)


def admin_str(values: pd.Series) -> np.ndarray:
    """Admin codes or names as clean strings ("" when missing); float codes lose their ".0"."""
    s = pd.Series(values)
    if pd.api.types.is_float_dtype(s):
        ok = s.notna() & np.isfinite(s.to_numpy(dtype=float, na_value=np.nan))
        out = np.full(len(s), "", dtype=object)
        out[ok.to_numpy()] = s[ok].astype(np.int64).astype(str).to_numpy()
        return out
    return s.astype("string").fillna("").str.strip().to_numpy(dtype=object)


def _unit_columns(units: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Code, name, level, parent and urban flag of each row of the admin-unit table, checked."""
    missing = [c for c in ("code", "name", "level") if c not in units.columns]
    if missing:
        raise InputError("ind.admin.no_columns", columns=missing)
    code = admin_str(units["code"])
    name = admin_str(units["name"])
    level = admin_str(units["level"])
    parent = admin_str(units["parent"]) if "parent" in units else np.full(len(units), "", dtype=object)
    bad = np.flatnonzero(~np.isin(level, list(ADMIN_LEVELS)) | (code == ""))
    if bad.size:
        raise InputError("ind.admin.bad_rows", rows=[int(i) + 1 for i in bad[:5]])
    dup = pd.Series(code).duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError("ind.admin.duplicate_codes", codes=sorted(set(code[dup]))[:5])
    urban = units["urban"].to_numpy() if "urban" in units else np.full(len(units), None)
    return code, name, level, parent, urban


class Admin:
    """The admin-unit table (optional): names, parents, urban flags, name → code lookups."""

    def __init__(self, units: pd.DataFrame | None) -> None:
        self.name: dict[str, str] = {}
        self.parent: dict[str, str] = {}
        self.urban: dict[str, bool] = {}
        self.codes: dict[str, list[str]] = {lvl: [] for lvl in ADMIN_LEVELS}
        #: the district of units whose table names none (the jurisdiction's, set by `in_jurisdiction`)
        self.home_district = ""
        self._by_name: dict[tuple[str, str, str], str] = {}
        if units is None:
            return
        for c, n, lv, p, u in zip(*_unit_columns(units), strict=True):
            self.name[c], self.parent[c] = n, p
            self.codes[lv].append(c)
            if not pd.isna(u):
                self.urban[c] = bool(u)
            self._by_name[(lv, p, n)] = c
            # a name alone finds its code only when no other unit of the level shares it
            bare = (lv, "", n)
            self._by_name[bare] = c if self._by_name.get(bare, c) == c else ""

    def to_codes(self, level: str, values: np.ndarray, parents: np.ndarray) -> np.ndarray:
        """Map names to codes where the value is not already a code of ``level``."""
        if not self.codes[level]:
            return values
        known = np.isin(values, self.codes[level])
        out = values.copy()
        todo = np.flatnonzero(~known & (values != ""))
        if todo.size:
            uniq, inv = np.unique(
                np.stack([values[todo], parents[todo]]).astype(str), axis=1, return_inverse=True
            )
            mapped = np.array(
                [
                    self._by_name.get((level, p, n)) or self._by_name.get((level, "", n)) or n
                    for n, p in uniq.T
                ],
                dtype=object,
            )
            out[todo] = mapped[inv.reshape(-1)]
        return out

    def path(self, level: str, code: str) -> tuple[str, str, str]:
        """The path (district, street, community) of a unit of the table."""
        if level == "district":
            return (code, "", "")
        if level == "street":
            return (self.parent.get(code, "") or self.home_district, code, "")
        street = self.parent.get(code, "")
        return (self.parent.get(street, "") or self.home_district, street, code)


def unit_paths(admin: Admin, frame: pd.DataFrame, what: Msg) -> Paths:
    """The unit path of each row of ``frame`` (demand or facilities, named by ``what``) as codes."""
    missing = [c for c in ADMIN_LEVELS if c not in frame.columns]
    if missing:
        raise InputError("ind.admin.no_unit_columns", what=what, columns=missing)
    d = admin.to_codes("district", admin_str(frame["district"]), np.full(len(frame), "", dtype=object))
    s = admin.to_codes("street", admin_str(frame["street"]), d)
    c = admin.to_codes("community", admin_str(frame["community"]), s)
    if admin.parent:
        # a blank street or district is filled from the admin table's parent of the unit below
        parent = pd.Series(admin.parent)
        s = np.where(s == "", pd.Series(c).map(parent).fillna("").to_numpy(dtype=object), s)
        d = np.where(d == "", pd.Series(s).map(parent).fillna("").to_numpy(dtype=object), d)
    return d, s, c


def in_jurisdiction(admin: Admin, paths: Paths, standards: Standards | None) -> Paths:
    """Rows without a district code belong to the jurisdiction: its adcode, named by its profile."""
    if standards is None or not standards.adcode:
        return paths
    d, s, c = paths
    admin.home_district = standards.adcode
    blank = d == ""
    if blank.any():
        admin.name.setdefault(standards.adcode, standards.name_zh or standards.adcode)
        d = np.where(blank, standards.adcode, d).astype(object)
    return d, s, c


def join_paths(*parts: np.ndarray) -> np.ndarray:
    """Path keys: the codes of each row joined by `SEP`."""
    out = parts[0].astype(str).astype(object)
    for p in parts[1:]:
        out = out + SEP + p.astype(str).astype(object)
    return out


def _level(depth: int, all_paths: Sequence[Paths], urban: np.ndarray, admin: Admin) -> Level | None:
    """The units of the admin level ``depth`` (0 district, 1 street, 2 community); None: none known."""
    scope = ADMIN_LEVELS[depth]
    n = urban.size
    found = [join_paths(*p[: depth + 1]) for p in all_paths]
    table = [SEP.join(admin.path(scope, code)[: depth + 1]) for code in admin.codes[scope]]
    keys = np.unique(np.concatenate([*found, np.asarray(table, dtype=object)]).astype(str))
    lvl_idx = pd.Index(keys).get_indexer(found[0]) if n else np.zeros(0, dtype=np.int64)
    g = keys.size
    cnt_u = np.bincount(lvl_idx, urban.astype(float), minlength=g) if n else np.zeros(g)
    cnt_r = np.bincount(lvl_idx, (~urban).astype(float), minlength=g) if n else np.zeros(g)
    split = np.array([k.split(SEP) for k in keys], dtype=object).reshape(g, depth + 1)
    unit = split[:, depth]
    parent = split[:, depth - 1] if depth else np.full(g, "", dtype=object)
    if depth and not (unit != "").any():
        return None  # no unit of this level is known: no rows for it (`no_unit_rows` says so once)
    nobody = unit_name(_UNATTRIBUTED[scope])
    names = np.array([admin.name.get(u, u) if u else nobody for u in unit], dtype=object)
    cls = np.where(cnt_u > 0, np.where(cnt_r > 0, "mixed", "urban"), np.where(cnt_r > 0, "rural", ""))
    # the admin table's urban flag decides for streets and communities (a town stays rural even
    # with an urban community in it); a district's class comes from its demand
    fixed = np.array([admin.urban.get(u) if depth else None for u in unit], dtype=object)
    cls = np.where(fixed == True, "urban", np.where(fixed == False, "rural", cls))  # noqa: E712
    return Level(scope, keys, unit, names, parent, cls.astype(object), cnt_u > 0, cnt_r > 0, lvl_idx)


def build_levels(
    demand_paths: Paths, urban: np.ndarray, admin: Admin, extra_paths: Sequence[Paths] = ()
) -> list[Level]:
    """Unit lists per scope: units of the demand, of the admin table and of ``extra_paths``.

    A ``total`` level comes first when the demand spans several districts.
    """
    all_paths = [demand_paths, *extra_paths]
    levels = [lv for depth in range(3) if (lv := _level(depth, all_paths, urban, admin)) is not None]
    if levels[0].keys.size > 1:
        levels.insert(0, _total_level(urban))
    return levels


def _total_level(urban: np.ndarray) -> Level:
    def one(value: object) -> np.ndarray:
        return np.array([value], dtype=object)

    return Level(
        "total",
        one(""),
        one(""),
        one(unit_name("ind.unit.total")),
        one(""),
        one(_class(urban)),
        np.array([urban.any()]),
        np.array([(~urban).any()]),
        np.zeros(urban.size, dtype=np.int64),
    )


def _class(urban: np.ndarray) -> str:
    if urban.size == 0:
        return ""
    return "mixed" if urban.any() and (~urban).any() else "urban" if urban.any() else "rural"


def with_demand(levels: list[Level]) -> list[Level]:
    """The levels whose demand is placed in their units (for coverage rows).

    The total and districts always; a street or community level only when some demand point
    falls in one of its units. A code list without polygons lists the units but places no home
    in them: coverage by those units is unknown, not zero, so they get no coverage rows.
    """
    return [
        lv
        for lv in levels
        if lv.scope in ("total", "district") or lv.idx.size == 0 or (lv.unit[lv.idx] != "").any()
    ]


def area_units(level: Level, area: str) -> np.ndarray:
    """Units that get rows for ``area``: all for ``all``; the top scopes and mixed units otherwise."""
    if area == "all":
        return np.ones(level.keys.size, dtype=bool)
    both = level.has_urban & level.has_rural
    present = level.has_urban if area == "urban" else level.has_rural
    if level.scope in ("total", "district"):
        return present
    return both


def parent_index(level: Level, upper: Level) -> np.ndarray:
    """Index in ``upper`` of each unit of ``level`` (by path prefix)."""
    depth = SCOPES.index(upper.scope) - 1  # district = 0
    if upper.scope == "total":
        return np.zeros(level.keys.size, dtype=np.int64)
    prefix = np.array([SEP.join(k.split(SEP)[: depth + 1]) for k in level.keys], dtype=object)
    return upper.index_of(prefix)


def facility_units(level: Level, fac_paths: Paths, chosen: np.ndarray) -> np.ndarray:
    """The unit of ``level`` of each chosen facility (-1: none of its units; all 0 for the total)."""
    if level.scope == "total":
        return np.zeros(int(chosen.sum()), dtype=np.int64)
    depth = SCOPES.index(level.scope) - 1
    return level.index_of(join_paths(*fac_paths[: depth + 1])[chosen])
