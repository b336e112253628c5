"""Words for the codes of the indicator table: metrics, population groups, services, scopes, areas.

Every room may read them (the indicator table's codes are shared vocabulary): coverage writes
the codes, maps and the command line turn them into Chinese or English.
"""

from __future__ import annotations

#: Metric keys with (Chinese, English) labels, in table order.
METRIC_LABELS: dict[str, tuple[str, str]] = {
    "pop": ("人口", "Population"),
    "pop_covered": ("步行可达人口", "Population within the walking threshold"),
    "coverage": ("覆盖率", "Coverage"),
    "pop_beyond": ("超出步行阈值人口", "Population beyond the threshold"),
    "pop_unreached": ("路网不可达人口", "Population with no network path"),
    "time_median_min": ("步行时间中位数", "Median walking time"),
    "time_p90_min": ("步行时间90分位", "90th-percentile walking time"),
    "gini_time": ("步行时间基尼系数", "Gini of walking time"),
    "access_per_1000": ("可达供给（2SFCA，每千人）", "Supply within reach (2SFCA, per 1,000)"),
    "gini_access": ("可达供给基尼系数", "Gini of supply within reach"),
    "facility_count": ("设施数", "Facilities in the unit"),
    "facilities": ("设施数", "Facilities counted by the rule"),
    "units_total": ("单元数", "Units"),
    "units_compliant": ("达标单元数", "Units meeting the rule"),
    "unit_share": ("达标单元比例", "Share of units meeting the rule"),
    "supply": ("现有供给", "Supply"),
    "supply_unknown": ("容量未知设施数", "Facilities with unknown capacity"),
    "per_1000": ("每千人供给", "Supply per 1,000"),
    "need": ("按标准需求", "Need at the standard"),
    "gap": ("缺口", "Gap"),
    "nursing_share": ("护理型床位占比", "Nursing-bed share"),
}
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "pop_total": ("常住人口", "Residents"),
    "pop_60": ("60岁以上老年人", "Aged 60+"),
    "pop_80": ("80岁以上老年人", "Aged 80+"),
    "pop_0_3": ("0–3岁婴幼儿", "Aged 0–3"),
    "": ("", ""),
}
SERVICE_LABELS: dict[str, tuple[str, str]] = {
    "elderly": ("养老", "Elderly care"),
    "childcare": ("托育", "Childcare"),
}
SCOPE_LABELS: dict[str, tuple[str, str]] = {
    "total": ("合计", "Total"),
    "district": ("区县", "District"),
    "street": ("街道/镇", "Street/town"),
    "community": ("社区/村", "Community/village"),
}
AREA_LABELS: dict[str, tuple[str, str]] = {
    "all": ("全部", "All"),
    "urban": ("城市（街道/社区）", "Urban (streets/communities)"),
    "rural": ("农村（乡镇/村）", "Rural (towns/villages)"),
    "mixed": ("城乡混合", "Mixed"),
    "": ("", ""),
}


def label(key: str, lang: str = "zh") -> str:
    """Label of a metric, group, service, scope or area key in ``lang`` (``zh`` or ``en``)."""
    for table in (METRIC_LABELS, GROUP_LABELS, SERVICE_LABELS, SCOPE_LABELS, AREA_LABELS):
        if key in table:
            zh, en = table[key]
            return en if lang == "en" else zh
    return key
