"""Numbers a person reads: the CSV's rounding and the XLSX's plan sheet and number formats."""

from __future__ import annotations

import re
import tempfile
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from lifecircle.geodata.common import say
from lifecircle.maps.export import write_indicators_csv, write_xlsx
from lifecircle.scenarios.pipeline import run_scenario
from lifecircle.scenarios.presets import example_scenario
from lifecircle.scenarios.schema import load_scenario

PLAN_HEADS_ZH = ["指标", "基数年份与基数", "2025 目标", "约束性/预期性", "现状", "差距", "来源"]


@pytest.fixture(scope="module")
def helsinki_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "helsinki"
    run_scenario(load_scenario(example_scenario("helsinki")), out)
    return out


def _rows(ws) -> list[dict[str, openpyxl.cell.Cell]]:
    heads = [c.value for c in ws[1]]
    return [dict(zip(heads, row, strict=True)) for row in ws.iter_rows(min_row=2)]


def test_plan_table_is_the_first_sheet_with_the_plans_columns(helsinki_out):
    book = openpyxl.load_workbook(helsinki_out / "indicators.xlsx")
    assert book.sheetnames[0] == "规划指标表"
    assert "指标明细" in book.sheetnames[1:]  # the long table stays, later
    ws = book.worksheets[0]
    assert [c.value for c in ws[1]][:7] == PLAN_HEADS_ZH
    assert "现状口径" in [c.value for c in ws[1]]  # the columns explaining a row follow
    assert ws.freeze_panes == "A2"
    assert all(ws.column_dimensions[col].width >= 8 for col in "ABCDEFG")
    assert ws.column_dimensions["A"].width > 20  # the indicator names are long
    rows = _rows(ws)
    share = next(r for r in rows if "覆盖率" in str(r["指标"].value) and r["现状"].data_type == "n")
    assert share["现状"].number_format == "0.0%" and 0 <= share["现状"].value <= 1
    assert share["2025 目标"].number_format == "0.0%" and share["2025 目标"].value == 1
    beds = next(r for r in rows if r["指标"].value == "养老床位")
    assert isinstance(beds["现状"].value, int) and beds["现状"].number_format == "#,##0"
    assert beds["基数年份与基数"].value == "2020年：230,000"


def test_long_sheet_people_are_integers_and_shares_percentages(helsinki_out):
    book = openpyxl.load_workbook(helsinki_out / "indicators.xlsx")
    rows = _rows(book["指标明细"])
    people = [r["数值"] for r in rows if r["单位"].value == "人" and r["数值"].value is not None]
    assert people and all(isinstance(c.value, int) and c.number_format == "#,##0" for c in people)
    shares = [r["数值"] for r in rows if r["单位"].value == "%" and r["数值"].value is not None]
    assert shares and all(c.number_format == "0.0%" and 0 <= c.value <= 1 for c in shares)
    minutes = [r["数值"] for r in rows if r["单位"].value == "分钟" and r["数值"].value is not None]
    assert minutes and all(c.number_format == "0.0" for c in minutes)


def test_csv_has_whole_people_and_rounded_shown_values(helsinki_out):
    raw = pd.read_csv(helsinki_out / "indicators.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    people = raw[raw["unit_of_measure"] == "persons"]
    assert len(people) and people["value"].str.fullmatch(r"-?\d*").all()  # no 588700.0000000014
    assert people["value_shown"].str.fullmatch(r"-?\d*").all()
    assert not re.search(r"\.\d*(0000000|9999999)", (helsinki_out / "indicators.csv").read_text("utf-8-sig"))
    for unit in ("%", "min"):
        shown = raw.loc[raw["unit_of_measure"] == unit, "value_shown"]
        assert len(shown) and shown.str.fullmatch(r"(-?\d+\.\d)?").all(), unit
    assert list(raw.columns).index("value_shown") == list(raw.columns).index("value") + 1
    # value stays the measured number for programs: a share keeps its decimals
    num = pd.read_csv(helsinki_out / "indicators.csv", encoding="utf-8-sig")
    cov = num[(num["metric"] == "coverage") & num["value"].notna()]
    assert pd.api.types.is_float_dtype(num["value"])
    assert (cov["value_shown"] - cov["value"]).abs().max() <= 0.05 + 1e-9


def _plan(lang: str) -> pd.DataFrame:
    heads = {
        "indicator": ["=cmd|' /C calc'!A0", "养老床位"],
        "unit_of_measure": ["%", "张"],
        "baseline": [np.nan, 1915.0],
        "baseline_year": ["", "2022"],
        "target": ["90", "+300"],
        "target_year": ["2025", "2025"],
        "attribute": ["约束性", "预期性"],
        "now": [93.44, 2000.4],
        "gap": [-3.44, np.nan],
        "now_basis": ["本次测算", "文件数据"],
        "base_value": [np.nan, 116_300.0000000014],
        "source": ["004", "001"],
    }
    return pd.DataFrame({say(f"ind.head.plan.{k}", lang): v for k, v in heads.items()})


def test_plan_sheet_from_a_small_table_in_both_languages(tmp_path):
    long = pd.DataFrame(
        {
            "metric": ["pop", "coverage"],
            "value": [588_700.0000000014, 93.4321],
            "unit_of_measure": ["persons", "%"],
        }
    )
    path = write_xlsx({"indicators": long, "plan": _plan("zh")}, tmp_path / "zh.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["规划指标表", "指标明细"]
    ws = book.worksheets[0]
    assert [c.value for c in ws[1]][:7] == PLAN_HEADS_ZH
    assert ws["A2"].data_type == "s" and ws["A2"].quotePrefix  # the formula guard on text cells
    assert (ws["B2"].value, ws["B3"].value) == ("—", "2022年：1,915")
    assert (ws["C2"].value, ws["C2"].number_format, ws["C3"].value) == (0.9, "0.0%", "+300")
    assert ws["E2"].value == pytest.approx(0.9344) and ws["E2"].number_format == "0.0%"
    assert (ws["E3"].value, ws["E3"].number_format, ws["F3"].value) == (2000, "#,##0", "—")
    base = next(c for c in ws[1] if c.value == say("ind.head.plan.base_value", "zh")).column_letter
    assert (ws[f"{base}3"].value, ws[f"{base}3"].number_format) == (116_300, "#,##0")
    long_ws = book["指标明细"]
    assert (long_ws["B2"].value, long_ws["B2"].number_format) == (588_700, "#,##0")
    assert long_ws["B3"].value == pytest.approx(0.934321) and long_ws["B3"].number_format == "0.0%"
    en = openpyxl.load_workbook(write_xlsx({"plan": _plan("en")}, tmp_path / "en.xlsx", lang="en"))
    assert en.sheetnames == ["Plan indicators"]
    assert [c.value for c in en.worksheets[0][1]][:7] == [
        "Indicator",
        "Baseline year and value",
        "2025 target",
        "Binding/expected",
        "Now",
        "Gap",
        "Source",
    ]
    assert en.worksheets[0]["B3"].value == "2022: 1,915"


def test_csv_rounding_of_a_small_table(tmp_path):
    table = pd.DataFrame(
        {
            "metric": ["pop", "coverage", "time_median_min", "gini_time"],
            "value": [588_700.0000000014, 93.4321, 7.26, 0.32731],
            "unit_of_measure": ["persons", "%", "min", np.nan],
            "base_value": [np.nan, 116_300.0000000014, np.nan, np.nan],
        }
    )
    text = write_indicators_csv(table, tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "metric,value,value_shown,unit_of_measure,base_value"
    assert lines[1] == "pop,588700,588700,persons,"
    assert lines[2] == "coverage,93.4321,93.4,%,116300"
    assert lines[3] == "time_median_min,7.26,7.3,min,"
    assert lines[4] == "gini_time,0.32731,0.33,,"


def _widths(ws) -> dict[str, float]:
    """Column widths by letter; a range of equal columns (``<col min="12" max="13">``) spread to each."""
    return {
        openpyxl.utils.get_column_letter(j): dim.width
        for dim in ws.column_dimensions.values()
        for j in range(dim.min, dim.max + 1)
    }


def test_xlsx_cells_keep_formats_guard_header_widths_and_bytes(tmp_path):
    table = pd.DataFrame(
        {
            "=1+1": ["=SUM(A1)", "-3.5", "", "ok"],  # a header and a cell that look like formulas
            "pop_60": [116_300.0000000014, np.nan, 2.6, 7.0],  # people: #,##0, written as integers
            "share_covered": [0.934, np.inf, -np.inf, 0.5],  # 0.0%; no route is the text ∞
            "time_min": [7.26, 1.0, 2.0, 3.0],  # 0.0
            "n_sites": np.array([1, 2, 3, 4]),  # #,##0
            "flag": [True, False, True, False],
        }
    )
    path = write_xlsx({"t": table}, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path).active
    head = ws["A1"]
    assert (head.value, head.data_type, head.quotePrefix, head.font.bold) == ("=1+1", "s", True, True)
    assert head.fill.fill_type == "solid" and head.fill.fgColor.rgb.endswith("F3EDE6")
    assert (head.alignment.horizontal, head.alignment.vertical, head.alignment.wrap_text) == (
        "center",
        "center",
        True,
    )
    assert all(c.font.bold and not c.quotePrefix for c in ws[1][1:])
    assert [(c.value, c.data_type, bool(c.quotePrefix)) for c in ws["A"][1:]] == [
        ("=SUM(A1)", "s", True),
        ("-3.5", "s", False),
        (None, "n", False),  # "" is a blank cell
        ("ok", "s", False),
    ]
    cells = [[(c.value, c.number_format) for c in ws[col][1:]] for col in "BCDE"]
    assert cells[0] == [(116_300, "#,##0"), (None, "General"), (3, "#,##0"), (7, "#,##0")]
    assert all(isinstance(v, int) for v, _ in cells[0] if v is not None)
    assert cells[1] == [(0.934, "0.0%"), ("∞", "General"), ("-∞", "General"), (0.5, "0.0%")]
    assert cells[2] == [(7.26, "0.0"), (1, "0.0"), (2, "0.0"), (3, "0.0")]
    assert cells[3] == [(1, "#,##0"), (2, "#,##0"), (3, "#,##0"), (4, "#,##0")]
    assert [c.value for c in ws["F"][1:]] == [True, False, True, False]
    assert ws.freeze_panes == "A2" and not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]
    widths = _widths(ws)
    assert widths["A"] == 10 and sorted(widths) == list("ABCDEF")  # "=SUM(A1)" + 2
    assert all(8 <= w <= 60 for w in widths.values())
    # the same tables give the same bytes; the zip carries one fixed date, the workbook a fixed one
    again = write_xlsx({"t": table}, tmp_path / "again.xlsx")
    assert again.read_bytes() == path.read_bytes()
    with zipfile.ZipFile(path) as book:
        assert len({info.date_time for info in book.infolist()}) == 1
        core = book.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and "<dc:creator>lifecircle</dc:creator>" in core
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.xlsx", "t.xlsx"]


class _Unprintable:
    def __str__(self) -> str:
        raise ValueError("no text")


def test_xlsx_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"  # where the writer keeps each sheet's rows until it closes
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    out = tmp_path / "out"
    path = write_xlsx({"t": pd.DataFrame({"a": [1.0]}), "empty": pd.DataFrame()}, out / "t.xlsx")
    assert openpyxl.load_workbook(path).sheetnames == ["t", "empty"] and not list(scratch.iterdir())
    before = path.read_bytes()
    bad = pd.DataFrame({"a": [1.0], "b": [_Unprintable()]})
    with pytest.raises(ValueError, match="no text"):
        write_xlsx({"t": pd.DataFrame({"a": [2.0]}), "u": bad}, path)
    assert path.read_bytes() == before and [p.name for p in out.iterdir()] == ["t.xlsx"]
    assert not list(scratch.iterdir())


def test_xlsx_sheet_names_excel_accepts(tmp_path):
    table = pd.DataFrame({"a": [1.0]})
    tables = {"'quoted'": table, "a/b:c": table, "A/B:C": table, "x" * 40: table}
    names = openpyxl.load_workbook(write_xlsx(tables, tmp_path / "t.xlsx")).sheetnames
    assert names == ["quoted", "a_b_c", "A_B_C_2", "x" * 31]
