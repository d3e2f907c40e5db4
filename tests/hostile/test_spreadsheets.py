"""Spreadsheet outputs that cannot run formulas, chart pages that can fetch nothing, and
workbooks that cannot exhaust memory or expand entities."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest

from allocator.crm import ImportOptions, import_files
from tests.builders import ROOT
from tests.hostile.cases import assert_clean_failure, base, run

FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]
GAINSIGHT = ROOT / "tests" / "data" / "rebalance" / "gainsight"


def _text_cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_formula_names_come_out_as_text_in_every_csv(tmp_path: Path) -> None:
    raw = base()
    raw["accounts"][0]["name"] = FORMULAS[0]
    raw["accounts"][1]["name"] = FORMULAS[3]
    raw["csms"][0]["name"] = FORMULAS[1]
    raw["csms"][1]["name"] = FORMULAS[2]
    raw["accounts"][1]["current_csm"] = "C1"  # C1 over balance: a move to hand off
    path = tmp_path / "formulas.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    out = tmp_path / "plan"
    assert run(["solve", str(path), "--out", str(out), "--time-limit", "2"]).exit_code == 0
    moves = run(
        [
            "moves",
            str(path),
            str(out / "solution.json"),
            "--preset",
            "totango",
            "-o",
            str(tmp_path / "moves.csv"),
            "--handoff",
            str(tmp_path / "handoff.csv"),
        ]
    )
    assert moves.exit_code == 0, moves.output
    files = [
        out / "assignments.csv",
        out / "csm_summary.csv",
        tmp_path / "handoff.csv",
        tmp_path / "moves.csv",
    ]
    seen = set()
    for file in files:
        for cell in _text_cells(file):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (file, cell)
            seen.update(f for f in FORMULAS if cell == "'" + f)
    assert seen == set(FORMULAS)


def test_the_tradeoff_chart_carries_the_content_security_policy(tmp_path: Path) -> None:
    path = tmp_path / "i.json"
    path.write_text(json.dumps(base()), encoding="utf-8")
    chart = tmp_path / "curve.html"
    result = run(
        ["tradeoff", str(path), "--points", "0,1", "--time-limit", "1", "--chart", str(chart)]
    )
    assert result.exit_code == 0, result.output
    head = chart.read_text(encoding="utf-8")[:2000]
    assert 'http-equiv="Content-Security-Policy"' in head and "default-src 'none'" in head


def _workbook_with(tmp_path: Path, sheet_xml: bytes, name: str) -> Path:
    """The Gainsight test export with its sheet replaced."""
    source = GAINSIGHT / "companies.xlsx"
    target = tmp_path / name
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml
            new.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
    return target


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>"""


@pytest.mark.parametrize(
    ("sheet", "needle"),
    [
        (b"<worksheet><sheetData><row", "cannot read as XLSX"),
        (LAUGHS, "cannot read as XLSX"),
        (b"<worksheet>" + b" " * 60_000_000 + b"</worksheet>", "a zip bomb?"),
    ],
    ids=["malformed XML", "entity expansion", "zip bomb"],
)
def test_a_hostile_workbook_is_one_line(tmp_path: Path, sheet: bytes, needle: str) -> None:
    workbook = _workbook_with(tmp_path, sheet, "companies.xlsx")
    assert workbook.stat().st_size < 1_000_000
    result = run(
        [
            "import",
            str(workbook),
            "--csms",
            str(GAINSIGHT / "roster.xlsx"),
            "--preset",
            "gainsight",
            "-o",
            str(tmp_path / "out.json"),
        ]
    )
    lines = assert_clean_failure(result, 2, workbook)
    assert len(lines) == 1 and needle in lines[0], lines
    assert not (tmp_path / "out.json").exists()


def test_the_real_workbook_still_reads() -> None:
    imported = import_files(
        GAINSIGHT / "companies.xlsx",
        GAINSIGHT / "roster.xlsx",
        "gainsight",
        options=ImportOptions(),
    )
    assert len(imported.instance.accounts) == 85
