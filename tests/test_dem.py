"""The DEM window: geodata reads only what the network needs, coverage samples it (arrays only)."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from conftest import X0, Y0, hand_network

from lifecircle.coverage.slope import sample_dem
from lifecircle.geodata.common import InputError
from lifecircle.geodata.dem import DemWindow, read_dem


def _write(path, *, crs="EPSG:32648", pad=2000.0):
    """A 10 m DEM (a tilted plane) reaching ``pad`` metres beyond the hand network on every side."""
    import rasterio
    from affine import Affine

    res = 10.0
    left, top = X0 - pad, Y0 + 150.0 + pad
    w = h = int((350.0 + 2 * pad) / res)
    xc = left + res * (np.arange(w) + 0.5)
    yc = top - res * (np.arange(h) + 0.5)
    z = (0.1 * (xc[None, :] - X0) + 0.05 * (yc[:, None] - Y0)).astype("float32")
    with rasterio.open(
        path, "w", driver="GTiff", width=w, height=h, count=1, dtype="float32", crs=crs,
        transform=Affine(res, 0.0, left, 0.0, -res, top), nodata=-9999.0,
    ) as dst:  # fmt: skip
        dst.write(z, 1)
    return path


def _whole(path) -> DemWindow:
    """The whole raster as a window (what reading without a window would give)."""
    import rasterio

    with rasterio.open(path) as src:
        band = src.read(1, masked=True).astype(np.float64).filled(np.nan)
        return DemWindow(band, src.transform, src.nodata, pyproj.CRS.from_user_input(src.crs), str(path))


def test_the_window_is_small_and_samples_like_the_whole_raster(tmp_path):
    net = hand_network()
    path = _write(tmp_path / "big.tif")
    win = read_dem(path, net)
    assert win.array.shape[0] < 60 and win.array.shape[1] < 60  # the raster is 435 × 435 pixels
    assert win.crs == pyproj.CRS.from_epsg(32648) and win.nodata == -9999.0 and win.source == str(path)
    a, b = sample_dem(win, net), sample_dem(_whole(path), net)
    for f in ("x", "y", "edge", "z", "missing"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert a.share_missing == 0.0


def test_a_dem_beside_the_network_reads_nothing_and_does_not_cover(tmp_path):
    net = hand_network()
    path = _write(tmp_path / "far.tif", crs="EPSG:32647")  # the same numbers one UTM zone west
    win = read_dem(path, net)
    assert win.array.size == 0
    with pytest.raises(InputError, match="does not cover the walk network"):
        sample_dem(win, net)
    assert sample_dem(win, net, fallback="flat").missing.all()


def test_dem_file_errors_are_one_sentence(tmp_path):
    net = hand_network()
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.tif: cannot read it as a DEM GeoTIFF") as exc:
        read_dem(bad, net)
    assert "无法作为 DEM GeoTIFF 读取" in exc.value.zh
    with pytest.raises(InputError, match="no such file"):
        read_dem(tmp_path / "absent.tif", net)


def test_sample_dem_takes_a_window_coverage_reads_no_file(tmp_path):
    net = hand_network()
    path = _write(tmp_path / "big.tif")
    with pytest.raises(TypeError, match="read_dem"):  # a path is geodata's to read
        sample_dem(str(path), net)
    with pytest.raises(InputError, match="no such file"):
        read_dem(tmp_path / "absent.tif", net)
    with pytest.raises(TypeError, match="read_dem"):
        sample_dem(np.zeros((3, 3)), net)
