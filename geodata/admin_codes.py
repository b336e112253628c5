"""Unit names and statistical codes: urban/rural class, name stems, facility lists matched to code lists.

Civil-affairs facility lists name the street and community of each facility (in Chinese columns, or
as a 12-digit division code) instead of giving polygons. `match_units` finds each facility's official
street and community in a code list (`lifecircle.geodata.admin.read_admin_codes`) or in an admin-unit
table: by 12- or 9-digit code first, else by name, comparing names after `clean_names` (full-width
forms and spaces unified) and then their stems (`name_stems`: the endings of the catalogue entries
``units.name_ends.*`` dropped). A community name is looked up within its street when the street is
known, else across the district. It never guesses: a name that fits several units is
``ambiguous``, one that fits none is ``unmatched`` (with the closest official name as a
suggestion), and the report says which text did not match.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from .common import Msg, Note, say
from .facility_tables import LISTED

#: How a facility's unit was found (the ``match`` column of the report).
MATCH_KINDS: tuple[str, ...] = ("code", "name", "ambiguous", "unmatched", "outside", "none")
#: Columns of the match report, in order.
REPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    *LISTED.values(),
    "district",
    "street",
    "street_name",
    "community",
    "community_name",
    "match",
    "level",
    "unmatched",
    "candidates",
    "suggestion",
)
#: Separator of the candidate names of an ambiguous facility in the report.
CANDIDATE_SEP = " / "
_SEP = "\x1f"
_MIN_STEM = 2
_NAMES_SHOWN = 20


@cache
def header_words(msg_id: str) -> tuple[str, ...]:
    """Chinese words of a catalogue vocabulary entry (``|``-separated), in their order.

    Column headers and name endings that Chinese data uses are words of the catalogue, not of
    the code: ``admin.columns.code`` holds the Chinese headers of a code column, for instance.
    """
    return tuple(w for w in say(msg_id, "zh").split("|") if w)


@cache
def _name_rules() -> tuple[tuple[str, ...], tuple[str, ...], re.Pattern, re.Pattern]:
    """Urban endings, rural endings, urban words and rural words of unit names (policy-digest §5)."""
    return (
        header_words("admin.name_ends.urban"),
        header_words("admin.name_ends.rural"),
        re.compile("|".join(header_words("admin.name_words.urban"))),
        re.compile("|".join(header_words("admin.name_words.rural"))),
    )


def name_kind(names: np.ndarray | pd.Series | list[str]) -> np.ndarray:
    """Classify admin-unit names: 1 urban, 0 rural, -1 unknown (``int8`` array).

    The ending decides (a community whose name holds the word for village is still a
    community, so urban); names whose ending is none of the known unit types are classified by
    the words they contain, the urban words (community, residents' committee, street) before the
    rural ones (village, town, township). The words are the catalogue's ``admin.name_ends.*`` and
    ``admin.name_words.*``.
    """
    urban_end, rural_end, urban_any, rural_any = _name_rules()
    s = pd.Series(np.asarray(names, dtype=object)).fillna("").astype(str).str.strip()
    out = np.full(len(s), -1, dtype=np.int8)
    is_urban_end = s.str.endswith(urban_end).to_numpy()
    is_rural_end = s.str.endswith(rural_end).to_numpy() & ~is_urban_end
    out[is_urban_end] = 1
    out[is_rural_end] = 0
    rest = out == -1
    has_urban = s.str.contains(urban_any).to_numpy() & rest
    has_rural = s.str.contains(rural_any).to_numpy() & rest & ~has_urban
    out[has_urban] = 1
    out[has_rural] = 0
    return out


def code_kind(codes: np.ndarray | pd.Series | list[str]) -> np.ndarray:
    """Classify statistical division codes: 1 urban, 0 rural, -1 unknown (``int8`` array).

    National Bureau of Statistics rules for statistical division codes: in a 12-digit
    village-level code, digits 10–12 of 001–199 mark a residents' committee (urban) and 200–399
    a villagers' committee (rural); in a 9-digit township code, digits 7–9 of 001–099 mark a
    street (urban), 100–199 a town and 200–399 a township (rural). Other codes are unknown.
    """
    s = pd.Series(np.asarray(codes, dtype=object)).fillna("").astype(str).str.strip()
    out = np.full(len(s), -1, dtype=np.int8)
    digits = s.str.fullmatch(r"\d+").to_numpy()
    n = s.str.len().to_numpy()
    tail = pd.to_numeric(s.str[-3:], errors="coerce").fillna(-1).to_numpy()
    v12 = digits & (n == 12)
    v9 = digits & (n == 9)
    out[v12 & (tail >= 1) & (tail <= 199)] = 1
    out[v12 & (tail >= 200) & (tail <= 399)] = 0
    out[v9 & (tail >= 1) & (tail <= 99)] = 1
    out[v9 & (tail >= 100) & (tail <= 399)] = 0
    return out


def urban_cells(values: np.ndarray | pd.Series | list) -> np.ndarray:
    """Cells of an urban/rural column as flags: True, False, or None where empty or unknown.

    Booleans and 1/0 are read as they are; text by the catalogue words ``admin.urban_values.*``
    (urban/rural in either language, true/false).
    """
    s = pd.Series(np.asarray(values, dtype=object))
    text = clean_names(s.astype(object).where(s.notna(), "").astype(str)).str.lower()
    out = np.full(len(s), None, dtype=object)
    for flag, kind in ((True, "urban"), (False, "rural")):
        words = {
            w.lower() for lang in ("zh", "en") for w in say(f"admin.urban_values.{kind}", lang).split("|")
        }
        out[text.isin(words).to_numpy()] = flag
    return out


# -- names: cleaned, core and stem -------------------------------------------------------------------


def clean_names(values: np.ndarray | pd.Series | list[str]) -> pd.Series:
    """Names as comparable text: full-width forms made half-width (NFKC), every space removed.

    Full-width spaces, digits and brackets become their ASCII forms; a missing value is ``""``.
    """
    s = pd.Series(np.asarray(values, dtype=object)).fillna("").astype(str)
    return s.str.normalize("NFKC").str.replace(r"\s+", "", regex=True)


@cache
def _endings(*kinds: str) -> re.Pattern:
    """A name's ending of the catalogue entries ``units.name_ends.<kind>`` (longest words first)."""
    words = sorted({w for k in kinds for w in header_words(f"units.name_ends.{k}")}, key=len, reverse=True)
    return re.compile("(?:" + "|".join(re.escape(w) for w in words) + ")$")


def _strip(s: pd.Series, pattern: re.Pattern) -> pd.Series:
    """``s`` with one ending of ``pattern`` dropped where at least `_MIN_STEM` characters remain."""
    cut = s.str.replace(pattern, "", regex=True)
    return cut.where(cut.str.len() >= _MIN_STEM, s)


def core_names(values: np.ndarray | pd.Series | list[str]) -> pd.Series:
    """Cleaned names without a committee ending: "X community residents' committee" → "X community".

    The endings are the catalogue's ``units.name_ends.committee`` (residents' and villagers'
    committees, work stations, offices).
    """
    return _strip(clean_names(values), _endings("committee"))


def name_stems(values: np.ndarray | pd.Series | list[str]) -> pd.Series:
    """Name stems: committee and unit-type endings dropped until none is left ("X community" → "X").

    The unit-type endings (community, village, street, town, township) are the catalogue's
    ``units.name_ends.unit``; a stem keeps at least two characters.
    """
    s = core_names(values)
    for _ in range(4):
        s = _strip(s, _endings("committee", "unit"))
    return s


# -- the reference units ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Units:
    """The streets or communities a name is looked up in: codes, names, parents and name keys."""

    code: np.ndarray
    name: np.ndarray
    parent: np.ndarray
    core: pd.Series
    stem: pd.Series

    @classmethod
    def of(cls, units: pd.DataFrame, level: str) -> _Units:
        sub = units.loc[units["level"].astype(str) == level]
        code = sub["code"].astype(str).str.strip().to_numpy(dtype=object)
        name = sub["name"].fillna("").astype(str).to_numpy(dtype=object)
        parent = sub["parent"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        return cls(code, name, parent, core_names(name), name_stems(name))

    def names_of(self, codes: np.ndarray) -> np.ndarray:
        """Official name of each code ("" for "")."""
        return pd.Series(codes).map(dict(zip(self.code, self.name, strict=True))).fillna("").to_numpy(object)

    def parents_of(self, codes: np.ndarray) -> np.ndarray:
        """Parent code of each code ("" for "")."""
        table = dict(zip(self.code, self.parent, strict=True))
        return pd.Series(codes).map(table).fillna("").to_numpy(object)


@dataclass(frozen=True)
class _Found:
    """Per query: the one code found (""), the codes that fit when several do (joined), a suggestion."""

    code: np.ndarray
    candidates: np.ndarray
    suggestion: np.ndarray

    def where(self, mask: np.ndarray, other: _Found) -> _Found:
        """Take this result where ``mask`` holds and ``other`` elsewhere."""
        return _Found(
            np.where(mask, self.code, other.code).astype(object),
            np.where(mask, self.candidates, other.candidates).astype(object),
            np.where(mask, self.suggestion, other.suggestion).astype(object),
        )


def _lookup(text: pd.Series, scope: np.ndarray, ref: _Units, *, in_parent: bool) -> _Found:
    """Find each name of ``text`` among ``ref`` (within the parent ``scope`` when ``in_parent``).

    The cleaned core name decides first, then the stem; a stem that is the start of several
    official stems (and of no whole one) makes the name ambiguous; a name that fits nothing gets
    the closest official name (by stem) as a suggestion. Candidates are codes joined by `_SEP`.
    """
    n = len(text)
    code = np.full(n, "", dtype=object)
    cands = np.full(n, "", dtype=object)
    want = (text != "").to_numpy() & ~text.str.fullmatch(r"\d+").to_numpy()
    ref_scope = ref.parent if in_parent else np.full(ref.code.size, "", dtype=object)
    q_scope = np.asarray(scope, dtype=object) if in_parent else np.full(n, "", dtype=object)
    for query, keys in ((core_names(text), ref.core), (name_stems(text), ref.stem)):
        todo = want & (code == "") & (cands == "")
        if not todo.any():
            break
        groups = pd.Series(ref.code).groupby(ref_scope + _SEP + keys.to_numpy(object)).agg(_SEP.join)
        got = pd.Series(q_scope[todo] + _SEP + query.to_numpy(object)[todo]).map(groups).fillna("")
        got = got.to_numpy(dtype=object)
        several = np.char.find(got.astype(str), _SEP) >= 0
        code[np.flatnonzero(todo)[~several]] = got[~several]
        cands[np.flatnonzero(todo)[several]] = got[several]
    suggestion = np.full(n, "", dtype=object)
    stems = name_stems(text).to_numpy(object)
    ref_stems = ref.stem.to_numpy(object)
    for r in np.flatnonzero(want & (code == "") & (cands == "")):  # the few names that fit no unit
        inside = ref_scope == q_scope[r]
        near = ref_stems[inside]
        starts = np.array([s.startswith(stems[r]) for s in near], dtype=bool)
        if starts.sum() > 1:
            cands[r] = _SEP.join(ref.code[inside][starts])
            continue
        suggestion[r] = _closest(stems[r], ref, inside)
    return _Found(code, cands, suggestion)


def _closest(stem: str, ref: _Units, inside: np.ndarray) -> str:
    """The official name whose stem is closest to ``stem``: within the scope, else anywhere ("": none)."""
    stems = ref.stem.to_numpy(object)
    for pool in (inside, np.ones(stems.size, dtype=bool)):
        close = difflib.get_close_matches(stem, list(stems[pool]), n=1, cutoff=0.5)
        if close:
            return str(ref.name[pool][stems[pool] == close[0]][0])
    return ""


# -- matching a facility list -------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitMatch:
    """Each facility's official street and community, and how they were found.

    Attributes
    ----------
    report
        One row per facility (`REPORT_COLUMNS`): its id and name, the unit text as the list
        writes it (``listed_*``), the codes and official names found (``district``, ``street``,
        ``street_name``, ``community``, ``community_name``; ``""`` where none), ``match`` (one of
        `MATCH_KINDS`), ``level`` (``community`` or ``street``: the finest unit found),
        ``unmatched`` (the text that matched nothing, or the other district named), ``candidates``
        (the official names an ambiguous name fits) and ``suggestion`` (the closest official
        name of an unmatched one).
    """

    report: pd.DataFrame

    def notes(self) -> list[Note]:
        """One note per kind of problem: unmatched, ambiguous, in another district (none when all match)."""
        out = []
        rep = self.report
        for kind in ("unmatched", "ambiguous", "outside"):
            sub = rep.loc[rep["match"] == kind]
            if len(sub):
                items = [_item(kind, r) for r in sub.head(_NAMES_SHOWN).itertuples(index=False)]
                more = Msg("units.more", n=len(sub) - _NAMES_SHOWN) if len(sub) > _NAMES_SHOWN else ""
                out.append(Note(f"units.note.{kind}", n=len(sub), items=items, more=more))
        return out

    @property
    def placed(self) -> np.ndarray:
        """Whether each facility's list gave a street or community that was found."""
        return (self.report["street"] != "").to_numpy() | (self.report["community"] != "").to_numpy()

    @property
    def outside(self) -> np.ndarray:
        """Whether each facility lies in another district by its list's own columns."""
        return (self.report["match"] == "outside").to_numpy()


def _item(kind: str, row) -> Msg:
    """One facility of a note: its name and what did not match (and the candidates or a suggestion)."""
    name = row.name or row.id
    if kind == "ambiguous":
        return Msg("units.item.candidates", name=name, text=row.unmatched, candidates=row.candidates)
    if row.suggestion:
        return Msg("units.item.suggest", name=name, text=row.unmatched, suggestion=row.suggestion)
    return Msg("units.item", name=name, text=row.unmatched)


def listed_text(facilities: pd.DataFrame) -> pd.DataFrame:
    """The unit text of each facility as its list writes it, cleaned (``""`` where the list has none).

    Columns ``district``, ``street``, ``community`` and ``code``.
    """
    out = {}
    for field, col in LISTED.items():
        raw = facilities[col] if col in facilities.columns else pd.Series("", index=facilities.index)
        text = clean_names(raw.to_numpy(dtype=object))
        if field == "admin_code":  # a code a layer stored as a float
            text = text.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
        out["code" if field == "admin_code" else field] = text.to_numpy(dtype=object)
    return pd.DataFrame(out)


def match_units(
    facilities: pd.DataFrame, units: pd.DataFrame, *, district: str = "", district_names: Sequence[str] = ()
) -> UnitMatch:
    """Find each facility's street and community among official units, by code, else by name.

    Parameters
    ----------
    facilities
        A facility table with the ``listed_*`` columns `read_facilities` keeps (`LISTED`); rows
        without them (OpenStreetMap facilities) get ``match`` ``none``.
    units
        Streets and communities with ``code, name, level, parent``: a code list from
        `read_admin_codes` (one district) or an admin-unit table.
    district
        The district's 6-digit code: a facility whose code starts otherwise is ``outside``.
    district_names
        Names of the district (the jurisdiction's Chinese name): a facility whose district
        column names another district is ``outside``; its codes stay empty.

    Returns
    -------
    UnitMatch
        The report, its notes and the codes found.
    """
    text = listed_text(facilities)
    streets, comms = _Units.of(units, "street"), _Units.of(units, "community")
    c12, c9 = _code_of(text, 12), _code_of(text, 9)
    comm = np.where(np.isin(c12, comms.code), c12, "").astype(object)
    street = np.where(np.isin(c9, streets.code), c9, "").astype(object)
    street = np.where(street == "", comms.parents_of(comm), street).astype(object)
    by_code = (comm != "") | ((street != "") & (text["community"] == "").to_numpy())
    s_found = _lookup(pd.Series(np.where(street == "", text["street"], "")), street, streets, in_parent=False)
    street = np.where(street == "", s_found.code, street).astype(object)
    c_text = pd.Series(np.where(comm == "", text["community"], ""))
    known = street != ""
    in_street = _lookup(c_text.where(known, ""), street, comms, in_parent=True)
    c_found = in_street.where(known, _lookup(c_text.where(~known, ""), street, comms, in_parent=False))
    comm = np.where(comm == "", c_found.code, comm).astype(object)
    street = np.where(street == "", comms.parents_of(comm), street).astype(object)
    outside = _outside(text, (c12, c9), district, district_names)
    comm[outside], street[outside] = "", ""
    report = _report(facilities, (street, comm), (s_found, c_found), streets, comms)
    report["match"] = _kinds(text, report, by_code, outside)
    report["unmatched"] = _unmatched_text(text, report, outside)
    report["district"] = np.where(report["street"] != "", district, "")
    return UnitMatch(report[list(REPORT_COLUMNS)])


def _code_of(text: pd.DataFrame, digits: int) -> np.ndarray:
    """A facility's code of ``digits`` digits: its code column, else a community (12) or street (9) cell."""
    pattern = rf"\d{{{digits}}}"
    cell = pd.Series(text["community"] if digits == 12 else text["street"])
    code = pd.Series(text["code"])
    if digits == 9:  # a community code also names its street
        code = code.where(~code.str.fullmatch(r"\d{12}"), code.str[:9])
    out = np.where(code.str.fullmatch(pattern), code, "")
    return np.where(out == "", np.where(cell.str.fullmatch(pattern), cell, ""), out).astype(object)


def _outside(
    text: pd.DataFrame, codes: tuple[np.ndarray, np.ndarray], district: str, names: Sequence[str]
) -> np.ndarray:
    """Facilities that their own columns place in another district (by code prefix or district name).

    A district cell is the district's when it is its code or part of one of its names (the
    district's short name within the city-and-district name).
    """
    out = np.zeros(len(text), dtype=bool)
    if district:
        for code in codes:
            out |= (code != "") & (pd.Series(code).str[:6] != district).to_numpy()
    ours = [o for o in clean_names(list(names)) if o] + ([district] if district else [])
    if ours:
        given = text["district"].to_numpy(dtype=object)
        inside = np.array([any(g in o for o in ours) for g in given], dtype=bool)
        out |= (given != "") & ~inside
    return out


def _report(
    facilities: pd.DataFrame,
    codes: tuple[np.ndarray, np.ndarray],
    found: tuple[_Found, _Found],
    streets: _Units,
    comms: _Units,
) -> pd.DataFrame:
    """The report's columns but ``match``, ``unmatched`` and ``district``."""
    street, comm = codes
    s_found, c_found = found
    is_comm = c_found.candidates != ""
    cands = np.where(is_comm, c_found.candidates, s_found.candidates)
    cand_names = [
        CANDIDATE_SEP.join((comms if c else streets).names_of(np.array(k.split(_SEP), dtype=object)))
        if k
        else ""
        for k, c in zip(cands, is_comm, strict=True)
    ]
    n = len(facilities)
    ids = facilities["id"].astype(str).to_numpy() if "id" in facilities.columns else np.arange(n).astype(str)
    names = facilities["name"].fillna("").astype(str).to_numpy() if "name" in facilities.columns else ids
    empty = pd.Series("", index=facilities.index)
    listed = {col: facilities.get(col, empty).fillna("").astype(str).to_numpy() for col in LISTED.values()}
    return pd.DataFrame(
        {
            "id": ids,
            "name": names,
            **listed,
            "street": street,
            "street_name": streets.names_of(street),
            "community": comm,
            "community_name": comms.names_of(comm),
            "level": np.where(comm != "", "community", np.where(street != "", "street", "")),
            "candidates": np.asarray(cand_names, dtype=object),
            "suggestion": np.where(c_found.suggestion != "", c_found.suggestion, s_found.suggestion),
        }
    )


def _kinds(text: pd.DataFrame, report: pd.DataFrame, by_code: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """``match`` of each facility (see `MATCH_KINDS`)."""
    given = (text != "").any(axis=1).to_numpy()
    coded = pd.Series(text["code"]).str.fullmatch(r"\d{12}").to_numpy()
    wants_comm = (text["community"] != "").to_numpy() | coded
    comm_ok = (report["community"] != "").to_numpy()
    street_ok = (report["street"] != "").to_numpy()
    found = np.where(wants_comm, comm_ok, street_ok)
    ambiguous = report["candidates"].to_numpy(dtype=object) != ""
    return np.select(
        [~given, outside, found & by_code, found, ambiguous],
        ["none", "outside", "code", "name", "ambiguous"],
        default="unmatched",
    ).astype(object)


def _unmatched_text(text: pd.DataFrame, report: pd.DataFrame, outside: np.ndarray) -> np.ndarray:
    """The text that matched nothing: community, else street, else code (outside: the district)."""
    bad = report["match"].isin(["unmatched", "ambiguous"]).to_numpy()
    comm_missing = (text["community"] != "").to_numpy() & (report["community"] == "").to_numpy()
    street_missing = (text["street"] != "").to_numpy() & (report["street"] == "").to_numpy()
    first = np.where(comm_missing, text["community"], np.where(street_missing, text["street"], text["code"]))
    where_else = np.where(text["district"] != "", text["district"], text["code"])
    return np.where(outside, where_else, np.where(bad, first, "")).astype(object)


def match_table(report: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The match report for a reader: headers, match kinds and levels in ``lang`` (exports).

    Parameters
    ----------
    report
        `UnitMatch.report` (``RunResult.unit_matches``).
    lang
        ``zh`` or ``en``.
    """
    out = report.copy()
    out["match"] = out["match"].map({k: say(f"units.match.{k}", lang) for k in MATCH_KINDS})
    levels = {lv: say(f"units.level.{lv}", lang) for lv in ("street", "community")}
    out["level"] = out["level"].map(levels).fillna("")
    return out.rename(columns={c: say(f"units.column.{c}", lang) for c in out.columns if c in REPORT_COLUMNS})
