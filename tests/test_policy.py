"""Policy lives in the presets: service mappings and default minutes come from presets/policy.yaml.

These numbers used to be built into the engine (coverage.reach) and the pipeline; the engine now
applies whatever minutes it is given, and these tests pin the preset to the documents.
"""

from __future__ import annotations

import numpy as np

from lifecircle.coverage.reach import demand_thresholds
from lifecircle.scenarios.presets import policy
from lifecircle.scenarios.result import SERVICE_GROUP, SERVICE_PROFILE


def _thresholds(service: str, urban: np.ndarray) -> np.ndarray:
    th = policy().services[service].threshold
    return demand_thresholds(urban, urban_min=th.urban_min, rural_min=th.rural_min)


def test_elderly_minutes_are_the_documents_15_urban_20_rural():
    urban = np.array([True, False, True])
    np.testing.assert_allclose(_thresholds("elderly", urban), [900, 1200, 900])
    source = policy().services["elderly"].threshold.source
    assert source.startswith("Document 000, table 1 policy no. 2: ")
    assert source.text("zh").startswith("文件 000 表1 政策第2项：城市社区15分钟")
    assert not policy().services["elderly"].threshold.is_assumption


def test_childcare_has_one_10_minute_radius_stated_as_an_assumption():
    urban = np.array([True, False, True])
    np.testing.assert_allclose(_thresholds("childcare", urban), [600] * 3)
    assert policy().services["childcare"].threshold.is_assumption


def test_service_mappings_come_from_the_preset():
    assert SERVICE_PROFILE == {"elderly": "elderly", "childcare": "childcare"}
    assert SERVICE_GROUP == {"elderly": "pop_60", "childcare": "pop_0_3"}
    assert policy().profile("meals") == "adult" and policy().group("meals") == "pop_total"


def test_candidate_defaults_cite_their_source():
    pol = policy()
    assert (pol.spacing_m, pol.min_area_m2) == (200.0, 300.0)
