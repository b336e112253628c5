"""Walking profiles (speed, steps factor) and the per-edge walking times they give."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ..geodata.common import Assumption, InputError, Msg
from .slope import VertexElevation, node_heights_to_vertices, sloped_costs

if TYPE_CHECKING:
    from ..geodata.network import WalkNetwork


@dataclass(frozen=True)
class WalkProfile:
    """How one group of people walks: flat speed and how much slower they are on stairs.

    Profiles are data: the jurisdiction presets override them with `WalkProfile.override`.

    Attributes
    ----------
    name
        Profile name (``elderly``, ``adult``, ``childcare`` or a preset's own).
    speed_mps
        Walking speed on flat ground, metres per second. The access leg (from a point to its
        snapped position on the network) is walked at this speed.
    steps_factor
        Speed multiplier on ``steps`` edges (1.0 = no penalty; 0.5 = half speed).
    slope_on_steps
        Whether Tobler's slope factor also applies on ``steps`` edges (on top of
        ``steps_factor``) when elevation is given.
    assumptions
        The `Assumption` records behind the numbers, carried with every result.
    """

    name: str
    speed_mps: float
    steps_factor: float = 1.0
    slope_on_steps: bool = True
    assumptions: tuple[Assumption, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not np.isfinite(self.speed_mps) or self.speed_mps <= 0:
            raise InputError("profiles.bad_speed", name=repr(self.name), speed=repr(self.speed_mps))
        if not np.isfinite(self.steps_factor) or not 0 < self.steps_factor <= 1.5:
            raise InputError(
                "profiles.bad_steps_factor", name=repr(self.name), factor=repr(self.steps_factor)
            )

    def override(self, **changes: float | str | bool) -> WalkProfile:
        """Return a copy with some fields changed (e.g. ``speed_mps=0.8`` from a preset).

        An overridden speed or steps factor replaces the matching default assumption by one
        that says the value came from the override.
        """
        if not changes:
            return self
        unknown = set(changes) - {"name", "speed_mps", "steps_factor", "slope_on_steps"}
        if unknown:
            raise InputError("profiles.unknown_fields", name=repr(self.name), fields=str(sorted(unknown)))
        kept = tuple(
            a
            for a in self.assumptions
            if not (
                (a.key.startswith("speed.") and "speed_mps" in changes)
                or (a.key.startswith("steps.") and "steps_factor" in changes)
            )
        )
        new = replace(self, **changes, assumptions=kept)
        added = []
        if "speed_mps" in changes:
            added.append(
                Assumption(
                    key=f"speed.{new.name}",
                    value=float(new.speed_mps),
                    unit="m/s",
                    msg=Msg("profiles.speed_set", speed=float(new.speed_mps)),
                    source=Msg("profiles.source.configuration"),
                )
            )
        if "steps_factor" in changes:
            added.append(
                Assumption(
                    key=f"steps.{new.name}",
                    value=float(new.steps_factor),
                    unit="×",
                    msg=Msg("profiles.steps_set", factor=float(new.steps_factor)),
                    source=Msg("profiles.source.configuration"),
                )
            )
        return replace(new, assumptions=new.assumptions + tuple(added))

    @property
    def metres_per_minute(self) -> float:
        """Flat-ground metres walked per minute."""
        return self.speed_mps * 60.0


_ELDERLY_SPEED = Assumption(
    key="speed.elderly",
    value=0.9,
    unit="m/s",
    msg=Msg("profiles.assume.speed_elderly"),
    source=Msg("profiles.source.speed_elderly"),
)
_ELDERLY_STEPS = Assumption(
    key="steps.elderly",
    value=0.5,
    unit="×",
    msg=Msg("profiles.assume.steps_elderly"),
)
_ADULT_SPEED = Assumption(
    key="speed.adult",
    value=1.2,
    unit="m/s",
    msg=Msg("profiles.assume.speed_adult"),
    source=Msg("profiles.source.speed_adult"),
)
_ADULT_STEPS = Assumption(
    key="steps.adult",
    value=1.0,
    unit="×",
    msg=Msg("profiles.assume.steps_adult"),
)
_CHILDCARE_SPEED = Assumption(
    key="speed.childcare",
    value=1.0,
    unit="m/s",
    msg=Msg("profiles.assume.speed_childcare"),
)
_CHILDCARE_STEPS = Assumption(
    key="steps.childcare",
    value=0.3,
    unit="×",
    msg=Msg("profiles.assume.steps_childcare"),
)

#: The named default profiles. Every number in them is an assumption (no policy sets a speed:
#: policy-digest §1.7).
PROFILES: dict[str, WalkProfile] = {
    "elderly": WalkProfile("elderly", 0.9, 0.5, assumptions=(_ELDERLY_SPEED, _ELDERLY_STEPS)),
    "adult": WalkProfile("adult", 1.2, 1.0, assumptions=(_ADULT_SPEED, _ADULT_STEPS)),
    "childcare": WalkProfile("childcare", 1.0, 0.3, assumptions=(_CHILDCARE_SPEED, _CHILDCARE_STEPS)),
}


def get_profile(profile: str | WalkProfile = "elderly", **overrides: float | str | bool) -> WalkProfile:
    """Return a named profile (or the given one), with ``overrides`` applied.

    Parameters
    ----------
    profile
        A name from `PROFILES` or a `WalkProfile`.
    **overrides
        Field changes, e.g. ``speed_mps=0.8``.
    """
    if isinstance(profile, WalkProfile):
        return profile.override(**overrides)
    try:
        base = PROFILES[profile]
    except KeyError:
        raise InputError("profiles.unknown", name=repr(profile), known=str(sorted(PROFILES))) from None
    return base.override(**overrides)


@dataclass(frozen=True, eq=False)
class EdgeCosts:
    """Directed walking times of every edge and, under slope, how time accrues along each edge.

    Without elevation the speed is constant along an edge, so the time to a point at distance
    ``a`` from ``u`` is ``t_fwd * a / length``. With elevation the time is piecewise linear in
    ``a`` over the edge's geometry segments; the vertex arrays hold it as global, monotone
    sequences (each edge is offset past the previous one), so one `numpy.interp` call answers
    for all edges at once.

    Attributes
    ----------
    t_fwd, t_back
        Seconds to walk each edge from ``u`` to ``v`` and from ``v`` to ``u``.
    length
        Edge lengths in metres (as on the network).
    speed_mps
        Flat speed of the profile (access legs).
    profile
        The `WalkProfile` used.
    v_pos, v_tf, v_tb
        Sloped only: per geometry vertex, global distance, global cumulative ``u→v`` time and
        global cumulative ``v→u`` time measured from ``u`` (so ``v_tb`` at distance ``a`` minus
        that at ``u`` is the time to walk from ``a`` back to ``u``).
    e_pos, e_tf, e_tb
        Sloped only: the global offset of each edge in those three sequences.
    """

    t_fwd: np.ndarray
    t_back: np.ndarray
    length: np.ndarray
    speed_mps: float
    profile: WalkProfile
    v_pos: np.ndarray | None = None
    v_tf: np.ndarray | None = None
    v_tb: np.ndarray | None = None
    e_pos: np.ndarray | None = None
    e_tf: np.ndarray | None = None
    e_tb: np.ndarray | None = None

    @property
    def max_speed_mps(self) -> float:
        """An upper bound of the walking speed anywhere on the network (m/s).

        No walk of ``t`` seconds ends farther than ``t · max_speed_mps`` in a straight line
        from where it began (used to size partition buffers).
        """
        if self.sloped:
            dv = np.diff(self.v_pos) / np.maximum(np.diff(self.v_tf), 1e-12)
            db = np.diff(self.v_pos) / np.maximum(np.diff(self.v_tb), 1e-12)
            top = max(float(dv.max(initial=0.0)), float(db.max(initial=0.0)))
        else:
            t = np.minimum(self.t_fwd, self.t_back)
            pos = t > 0
            top = float((self.length[pos] / t[pos]).max(initial=0.0))
        return max(top, self.speed_mps)

    @property
    def sloped(self) -> bool:
        """Whether time accrues non-linearly along edges (elevation given)."""
        return self.v_pos is not None

    def along(self, edge: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Times between ``u`` and a point ``a`` metres along each edge.

        Returns
        -------
        tf
            Seconds to walk from ``u`` to the point.
        tb
            Seconds to walk from the point back to ``u``.
        """
        edge = np.asarray(edge, dtype=np.int64)
        a = np.clip(np.asarray(a, dtype=np.float64), 0.0, self.length[edge])
        if not self.sloped:
            frac = np.divide(a, self.length[edge], out=np.zeros_like(a), where=self.length[edge] > 0)
            return self.t_fwd[edge] * frac, self.t_back[edge] * frac
        g = self.e_pos[edge] + a
        tf = np.interp(g, self.v_pos, self.v_tf) - self.e_tf[edge]
        tb = np.interp(g, self.v_pos, self.v_tb) - self.e_tb[edge]
        return np.clip(tf, 0.0, self.t_fwd[edge]), np.clip(tb, 0.0, self.t_back[edge])

    def distance_at_tf(self, edge: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Distance from ``u`` reached after walking ``t`` seconds from ``u`` towards ``v``."""
        edge = np.asarray(edge, dtype=np.int64)
        t = np.clip(np.asarray(t, dtype=np.float64), 0.0, self.t_fwd[edge])
        if not self.sloped:
            return np.divide(
                t * self.length[edge], self.t_fwd[edge], out=np.zeros_like(t), where=self.t_fwd[edge] > 0
            )
        return np.interp(self.e_tf[edge] + t, self.v_tf, self.v_pos) - self.e_pos[edge]

    def distance_at_tb(self, edge: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Distance from ``u`` of the point from which walking back to ``u`` takes ``t`` seconds."""
        edge = np.asarray(edge, dtype=np.int64)
        t = np.clip(np.asarray(t, dtype=np.float64), 0.0, self.t_back[edge])
        if not self.sloped:
            return np.divide(
                t * self.length[edge], self.t_back[edge], out=np.zeros_like(t), where=self.t_back[edge] > 0
            )
        return np.interp(self.e_tb[edge] + t, self.v_tb, self.v_pos) - self.e_pos[edge]


def edge_costs(
    net: WalkNetwork,
    profile: str | WalkProfile = "elderly",
    elevation: VertexElevation | np.ndarray | None = None,
) -> EdgeCosts:
    """Directed walking times of every edge for ``profile``, optionally on sloped ground.

    Parameters
    ----------
    net
        The walk network.
    profile
        Profile name or `WalkProfile`.
    elevation
        ``None`` for flat ground; a `lifecircle.coverage.slope.VertexElevation` (heights at
        the vertices of every edge geometry, from `lifecircle.coverage.slope.sample_dem`);
        or an array of node heights (metres, length ``n_nodes``), taken as a constant grade
        along each edge.

    Returns
    -------
    EdgeCosts
        Speed on an edge is ``speed_mps`` times ``steps_factor`` on ``steps`` edges, times
        Tobler's factor ``exp(-3.5 (|g + 0.05| - 0.05))`` per geometry segment of grade ``g``
        when elevation is given (Tobler's hiking function scaled so that flat ground gives
        ``speed_mps``).
    """
    prof = get_profile(profile)
    length = np.asarray(net.length, dtype=np.float64)
    factor = np.where(np.asarray(net.highway) == "steps", prof.steps_factor, 1.0)
    speed = prof.speed_mps * factor
    if elevation is None:
        t = length / speed
        return EdgeCosts(t, t.copy(), length, prof.speed_mps, prof)
    if isinstance(elevation, np.ndarray) and elevation.ndim == 1 and len(elevation) == net.n_nodes:
        elevation = node_heights_to_vertices(net, elevation)
    if not isinstance(elevation, VertexElevation):
        raise InputError("profiles.bad_elevation")
    arrays = sloped_costs(net, speed, elevation, slope_on_steps=prof.slope_on_steps)
    length = np.asarray(net.length, dtype=np.float64)
    return EdgeCosts(length=length, speed_mps=prof.speed_mps, profile=prof, **arrays)


def edge_times(
    net: WalkNetwork,
    profile: str | WalkProfile = "elderly",
    elevation: VertexElevation | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Seconds to walk each edge ``u→v`` and ``v→u`` (see `edge_costs`)."""
    c = edge_costs(net, profile, elevation)
    return c.t_fwd, c.t_back
