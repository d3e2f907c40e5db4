"""Hostile files and names: deep nesting, huge numbers, devices, surrogates, duplicate
keys, overlapping segments, long parent chains, names that try to forge output lines or
drive the terminal, and rich markup in names and paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.cases import assert_clean_failure, base, run


def _write(tmp_path: Path, text: str, name: str = "instance.json") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[" * 5000 + "]" * 5000, "nested deeper"),
        ('{"a":' * 40 + "1" + "}" * 40, "nested deeper"),
        ('{"name": ' + "9" * 5001 + "}", "unreadable number"),
        ('{"accounts": [], "accounts": [], "csms": []}', "key given twice"),
        ('{"name": "\\ud800", "accounts": [], "csms": []}', "lone surrogate"),
        ("", "file is empty"),
        ("{", "malformed JSON"),
    ],
    ids=["5000-deep", "40-deep", "5001 digits", "duplicate key", "surrogate", "empty", "cut"],
)
def test_malformed_json_is_one_line(tmp_path: Path, text: str, needle: str) -> None:
    path = _write(tmp_path, text)
    lines = assert_clean_failure(run(["validate", str(path)]), 2, path)
    assert len(lines) == 1 and needle in lines[0], lines


def test_the_last_duplicate_key_would_have_emptied_the_book(tmp_path: Path) -> None:
    raw = json.dumps(base())
    text = raw[:-1] + ', "accounts": []}'
    path = _write(tmp_path, text)
    lines = assert_clean_failure(run(["solve", str(path), "--time-limit", "1"]), 2, path)
    assert "accounts: key given twice" in lines[0]


@pytest.mark.parametrize("target", ["/dev/zero", "folder"], ids=["device", "folder"])
def test_what_is_not_a_file_is_refused(tmp_path: Path, target: str) -> None:
    path = Path(target) if target.startswith("/") else tmp_path
    lines = assert_clean_failure(run(["validate", str(path)]), 2, path)
    assert "not a regular file" in lines[0]


def test_overlapping_segment_ranges_are_refused_unless_first_match_is_asked(
    tmp_path: Path,
) -> None:
    raw = base()
    raw["policy"]["segments"][1]["min_arr"] = 100_000  # Scale runs to 150,000
    path = _write(tmp_path, json.dumps(raw))
    lines = assert_clean_failure(run(["validate", str(path)]), 2, path)
    assert "overlaps Scale's (0 to 150,000)" in lines[0]
    raw["policy"]["segment_ranges"] = "first_match"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert run(["validate", str(path)]).exit_code == 0


def test_a_long_parent_chain_and_a_cycle_in_it_are_read_once(tmp_path: Path) -> None:
    """3,000 accounts each the parent of the next (the cycle check was quadratic)."""
    raw = base()
    template = raw["accounts"][1]
    chain = [
        {**template, "id": f"P{i}", "parent_id": f"P{i - 1}" if i else None} for i in range(3000)
    ]
    raw["accounts"] = chain
    raw["pairs"] = []
    raw["csms"][1]["capacity"] = 10_000
    path = _write(tmp_path, json.dumps(raw))
    valid = run(["validate", str(path)])  # one family of 3,000 fits no CSM's caps: exit 3
    assert valid.exit_code == 3 and "family of P0" in valid.output, valid.output
    chain[0]["parent_id"] = "P2999"
    path.write_text(json.dumps(raw), encoding="utf-8")
    lines = assert_clean_failure(run(["validate", str(path)]), 2, path)
    assert len(lines) == 1 and "parent cycle: P" in lines[0]


@pytest.mark.parametrize(
    "bad_id",
    ["A\nforged line", "A\x1b[31mred", "A\u202eevil", "A\rreturn"],
    ids=["newline", "ANSI", "bidi override", "carriage return"],
)
def test_ids_cannot_forge_lines_or_drive_the_terminal(tmp_path: Path, bad_id: str) -> None:
    raw = base()
    raw["accounts"][0]["current_csm"] = bad_id  # an unknown CSM: its id is quoted back
    path = _write(tmp_path, json.dumps(raw))
    lines = assert_clean_failure(run(["validate", str(path)]), 2, path)
    assert len(lines) == 1
    assert not any(c in lines[0] for c in "\x1b\r\u202e")


@pytest.mark.parametrize("markup", ["[/x]", "[bold red]", "[link=http://x]y[/link]"])
def test_rich_markup_in_names_and_paths_is_text(tmp_path: Path, markup: str) -> None:
    raw = base()
    raw["name"] = f"book {markup}"
    raw["policy"]["segments"][0]["name"] = f"Scale {markup}"
    for record in raw["csms"]:
        record["segments"] = [f"Scale {markup}"]
    raw["csms"][0]["max_accounts"] = {}
    in_path = markup.replace("/", "|")  # a folder name cannot hold "/"
    folder = tmp_path / f"in {in_path}"
    folder.mkdir()
    path = _write(folder, json.dumps(raw))
    out = tmp_path / f"out {in_path}"
    result = run(["solve", str(path), "--out", str(out), "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    assert markup in result.output and in_path in result.output
    assert "Traceback" not in result.output
    assert (out / "solution.json").exists()
