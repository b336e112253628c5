"""Column names of the normalized tables every stage exchanges (all geometries in WGS84)."""

from __future__ import annotations

#: Population groups carried by every demand table: total, aged 60+, aged 80+, aged 0–3.
GROUPS: tuple[str, ...] = ("pop_total", "pop_60", "pop_80", "pop_0_3")

#: Demand table: one row per demand point (building, hex, raster cell, …). Geometry: Point.
#: ``district``/``street``/``community`` hold admin codes (or names where no code is known, or
#: "" when unknown); ``urban`` is True for subdistricts and communities (jiedao, shequ), False for
#: towns, townships and villages (zhen, xiang, cun).
DEMAND_COLUMNS: tuple[str, ...] = ("id", *GROUPS, "district", "street", "community", "urban")

#: Facility table: one row per facility, existing, planned or candidate. Geometry: Point.
#: ``service`` is ``elderly`` or ``childcare`` (or another service name); ``capacity`` is beds
#: (elderly) or childcare places (tuowei), NaN when unknown; ``status`` is one of `STATUSES`.
FACILITY_COLUMNS: tuple[str, ...] = ("id", "name", "service", "tier", "capacity", "status")
STATUSES: tuple[str, ...] = ("existing", "planned", "candidate")
SERVICES: tuple[str, ...] = ("elderly", "childcare")

#: Admin-unit table: one row per unit polygon. ``level`` is district, street or community;
#: ``parent`` is the code of the enclosing unit ("" at the top); ``urban`` as for demand.
ADMIN_COLUMNS: tuple[str, ...] = ("code", "name", "level", "parent", "urban")
ADMIN_LEVELS: tuple[str, ...] = ("district", "street", "community")
