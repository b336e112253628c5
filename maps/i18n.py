"""Labels for everything a planner reads: Chinese first, English with ``--lang en``."""

from __future__ import annotations

from lifecircle.geodata.errors import InputError

LANGS = ("zh", "en")

_LABELS: dict[str, tuple[str, str]] = {
    # network summary
    "network": ("步行路网", "Walk network"),
    "source": ("数据来源", "Source"),
    "crs": ("计算坐标系", "Metric CRS"),
    "nodes": ("节点数", "Nodes"),
    "edges": ("路段数", "Edges"),
    "length_km": ("总长度（公里）", "Total length (km)"),
    "steps_km": ("台阶长度（公里）", "Steps (km)"),
    "components": ("连通分量", "Connected components"),
    "dropped": ("已舍弃（非最大连通分量）", "Dropped (outside the giant component)"),
    "bbox": ("范围（WGS84）", "Extent (WGS84)"),
    "km_by_class": ("各类道路长度（公里）", "Length by class (km)"),
    "class": ("道路类别", "Class"),
    "saved": ("已保存", "Saved"),
    "error": ("错误", "Error"),
    # run summary printed by the CLI
    "headline_elderly": (
        "60岁及以上老人步行可达养老服务比例",
        "Share of people 60+ within walking reach of elderly care",
    ),
    "headline_childcare": (
        "0–3岁婴幼儿步行可达托育服务比例",
        "Share of children 0–3 within walking reach of childcare",
    ),
    "seconds": ("用时（秒）", "Seconds"),
    "written": ("已写出", "Written"),
    "comparison": ("方案比较", "Comparison"),
    # services
    "elderly": ("养老", "Elderly care"),
    "childcare": ("托育", "Childcare"),
    "service": ("服务类型", "Service"),
    # population groups
    "group": ("人群", "Group"),
    "pop_total": ("常住人口", "Residents"),
    "pop_60": ("60岁及以上老年人", "Aged 60+"),
    "pop_80": ("80岁及以上老年人", "Aged 80+"),
    "pop_0_3": ("0–3岁婴幼儿", "Children aged 0–3"),
    # admin
    "district": ("区县", "District"),
    "street": ("街道/镇", "Street/town"),
    "community": ("社区/村", "Community/village"),
    "code": ("代码", "Code"),
    "name": ("名称", "Name"),
    "level": ("层级", "Level"),
    "urban": ("城市/农村", "Urban/rural"),
    "urban_yes": ("城市", "Urban"),
    "urban_no": ("农村", "Rural"),
    # facilities
    "facilities": ("设施", "Facilities"),
    "tier": ("级别", "Tier"),
    "capacity": ("容量（床位/托位）", "Capacity (beds/places)"),
    "status": ("状态", "Status"),
    "existing": ("现有", "Existing"),
    "planned": ("规划", "Planned"),
    "candidate": ("候选", "Candidate"),
    "id": ("编号", "ID"),
    "facility_counts": ("设施统计", "Facility counts"),
    "count": ("数量", "Count"),
    "total": ("合计", "Total"),
    "capacity_known": ("已知容量的设施数", "With known capacity"),
    "tier_unknown": ("未注明", "not given"),
    "nursing_home": ("养老院", "Nursing home"),
    "assisted_living": ("养老公寓", "Assisted living"),
    "day_care": ("日间照料中心", "Day-care centre"),
    "group_home": ("小型养老机构", "Group home"),
    "kindergarten": ("幼儿园", "Kindergarten"),
    "street_centre": ("街道养老服务中心", "Street service centre"),
    "community_station": ("社区养老服务站", "Community station"),
    "compound_point": ("小区养老服务点", "Compound service point"),
    "village_point": ("村级互助养老点", "Village mutual-aid point"),
    "town_centre": ("乡镇养老服务中心", "Town service centre"),
    "institution": ("养老机构", "Institution"),
    "childcare_centre": ("托育机构", "Childcare centre"),
    "community_childcare": ("社区托育点", "Community childcare point"),
    "family_childcare": ("家庭托育点", "Family childcare point"),
    # map
    "map_title": ("一老一小步行服务圈", "Walking service circles for the elderly and young children"),
    "legend": ("图例", "Legend"),
    "layers": ("图层", "Layers"),
    "walk_time": ("步行时间", "Walking time"),
    "walk_time_min": ("步行时间（分钟）", "Walking time (min)"),
    "threshold_min": ("服务圈标准（分钟）", "Threshold (min)"),
    "minutes": ("分钟", "min"),
    "covered": ("已覆盖", "Covered"),
    "uncovered": ("未覆盖（超出服务圈）", "Not covered (beyond the circle)"),
    "unreached": ("无法步行到达", "No walking route"),
    "demand_layer": ("居民点步行时间", "Residents: walking time"),
    "isochrone_layer": ("分钟步行圈", "-minute walking circle"),
    "facility_layer": ("设施", "facilities"),
    "sites_layer": ("建议新增站点", "Proposed new sites"),
    "admin_layer": ("覆盖率", "coverage"),
    "coverage_share": ("覆盖率", "Coverage"),
    "area_km2": ("面积（平方公里）", "Area (km²)"),
    "reached_km": ("可达道路长度（公里）", "Streets reached (km)"),
    "population": ("人口", "Population"),
    "rank": ("排序", "Rank"),
    "gain": ("新增覆盖", "Newly covered"),
    "gain_sentence": ("新增覆盖", "Brings into reach"),
    "people": ("人", "people"),
    "sites": ("建议新增站点", "Proposed new sites"),
    "demand": ("居民点", "Demand points"),
    "steps": ("台阶", "Steps"),
    "plan": ("规划指标表", "Plan indicators"),
    "missing_units": ("未设站点的单元", "Units without a required facility"),
    "isochrones": ("步行服务圈", "Walking circles"),
    "admin_units": ("行政单元", "Admin units"),
    "communities": ("受益社区", "Communities served"),
    "streets": ("受益街道", "Streets served"),
    "beds": ("养老床位", "Elderly-care beds"),
    "places": ("托位", "Childcare places"),
    "nursing_beds": ("护理型床位", "Nursing beds"),
    "communities_reached": ("受益社区", "Communities served"),
    "streets_reached": ("受益街道", "Streets served"),
    "time_median": ("步行时间中位数（分钟）", "Median walk (min)"),
    "time_p90": ("步行时间90分位（分钟）", "90th-percentile walk (min)"),
    "capacity_used": ("容量使用", "Capacity used"),
    "assumptions": ("假设条件", "Assumptions"),
    "assumption_note": (
        "以下数值非政策规定，为本工具的假设，结果随之变化。",
        "Not set by policy: these are the tool's assumptions, and the results depend on them.",
    ),
    "data_sources": ("数据来源与许可", "Data sources and licences"),
    "licence": ("许可", "Licence"),
    "basemap_none": ("无底图（离线）", "No basemap (offline)"),
    "basemap_osm": ("OpenStreetMap 底图", "OpenStreetMap"),
    "basemap_tianditu": ("天地图", "Tianditu"),
    "basemap_amap": ("高德地图（GCJ-02，图层已偏移对齐）", "Amap (GCJ-02; overlays shifted to align)"),
    "no_data": ("无数据", "no data"),
    # report
    "report_title": ("一老一小服务圈评估报告", "Elderly-care and childcare service-circle report"),
    "generated": ("生成时间", "Generated"),
    "contents": ("目录", "Contents"),
    "headline": ("主要结论", "Headline numbers"),
    "plan_table": ("规划指标表", "Plan indicators"),
    "coverage_by_unit": ("分街道、社区覆盖情况", "Coverage by street and community"),
    "capacity_gaps": ("床位与托位缺口", "Capacity gaps (beds and childcare places)"),
    "siting": ("新增站点选址建议", "Proposed new sites"),
    "figure": ("覆盖情况图", "Coverage map"),
    "indicators": ("指标明细", "Indicators (long table)"),
    "metric": ("指标", "Metric"),
    "baseline": ("基期值", "Baseline"),
    "target": ("目标值", "Target"),
    "target_2025": ("2025年目标", "2025 target"),
    "binding": ("属性", "Attribute"),
    "binding_yes": ("约束性", "binding"),
    "binding_no": ("预期性", "expected"),
    "now": ("现状（本次测算）", "Now (this run)"),
    "gap": ("差距", "Gap"),
    "unit_of_measure": ("单位", "Unit"),
    "value": ("数值", "Value"),
    "note": ("备注", "Note"),
    "scope": ("范围", "Scope"),
    "unit": ("单元", "Unit"),
    "unit_name": ("单元名称", "Unit name"),
    "lead_unit": ("牵头单位", "Lead unit"),
    "year": ("年份", "Year"),
    "standard": ("标准", "Standard"),
    "population_base": ("人口基数", "Population base"),
    "base_year": ("基数年份", "Base year"),
    "supply": ("现有供给", "Supply"),
    "supply_date": ("供给日期", "Supply as of"),
    "need": ("需求", "Need"),
    "objective": ("目标函数值", "Objective"),
    "solver_status": ("求解状态", "Solver status"),
    "key": ("项目", "Item"),
    "method": ("方法", "Method"),
    "print": ("打印", "Print"),
    "none_given": ("（本次运行未提供）", "(not part of this run)"),
    "map_caption": (
        "图中点位按步行时间着色，红色为服务圈之外的居民点；编号为建议新增站点的排序。",
        "Residents coloured by walking time; red: outside the circle; numbers rank the proposed sites.",
    ),
}


def t(key: str, lang: str = "zh") -> str:
    """Return the label for ``key`` in ``lang`` (``zh`` or ``en``); unknown keys come back as is."""
    zh, en = _LABELS.get(key, (key, key))
    return en if lang == "en" else zh


def has(key: str) -> bool:
    """Whether ``key`` has a label (unknown keys are shown as they are)."""
    return key in _LABELS


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is ``zh`` or ``en``, else raise `InputError`."""
    if lang not in LANGS:
        raise InputError(f"lang: unknown language {lang!r}; use zh (Chinese) or en (English).")
    return lang
