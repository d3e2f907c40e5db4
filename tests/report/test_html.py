"""`allocate report`: one offline HTML file; its text is escaped, it lists every move, and its
charts render in a real browser (headless Chromium; CI installs it, see .ci/run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from allocator.analysis.reasons import move_reasons
from allocator.cli.main import main
from allocator.io.generate import write_instance
from allocator.io.loading import load_instance
from allocator.pipeline import solve
from allocator.report.html import CHART_IDS
from allocator.schema.solution import Solution
from tests.builders import INSTANCES, account, csm, raw_instance

EXAMPLE = INSTANCES / "example.json"
EVIL_ACCOUNT = "<script>alert(1)</script>"
EVIL_CSM = '<img src=x onerror="alert(2)">'
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


class _Page(HTMLParser):
    """Every start tag with its attributes, and the accounts listed in each table."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[str]] = {}
        self._table: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table":
            self._table = attributes.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None and attributes.get("data-account"):
            self.tables[self._table].append(str(attributes["data-account"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None


def found(text: str, *needles: str) -> list[bool]:
    """Which needles occur (asserting on this keeps pytest from diffing megabytes of HTML)."""
    return [needle in text for needle in needles]


def parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Solution]:
    """The bundled example, with hostile names on a leaver and its accounts, and its plan."""
    instance = load_instance(EXAMPLE)
    leaver = next(c.id for c in instance.csms if c.leaving)
    instance = instance.model_copy(
        update={
            "accounts": [
                a.model_copy(update={"name": EVIL_ACCOUNT}) if a.current_csm == leaver else a
                for a in instance.accounts
            ],
            "csms": [
                c.model_copy(update={"name": EVIL_CSM}) if c.id == leaver else c
                for c in instance.csms
            ],
        }
    )
    folder = tmp_path_factory.mktemp("report")
    instance_path = write_instance(instance, folder / "instance.json")
    result = solve(instance, time_limit=20, workers=4, seed=0)
    assert result.status in ("OPTIMAL", "FEASIBLE")
    written = result.write(folder / "plan")
    assert isinstance(written, list)
    return instance_path, folder / "plan" / "solution.json", result.solution


@pytest.fixture(scope="module")
def report(plan: tuple[Path, Path, Solution]) -> Path:
    instance_path, solution_path, _ = plan
    out = solution_path.parent / "report.html"
    result = invoke("report", instance_path, solution_path, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    return out


def test_report_is_offline_escaped_and_lists_every_move(plan, report):
    _, _, solution = plan
    text = report.read_text(encoding="utf-8")
    page = parse(text)
    external = [
        (tag, name, value)
        for tag, attributes in page.tags
        for name, value in attributes.items()
        if name in ("src", "href", "xlink:href", "action", "data", "poster")
        and value
        and value.strip().lower().startswith(("http:", "https:", "//"))
    ]
    assert external == []
    assert not [tag for tag, _ in page.tags if tag in ("link", "iframe", "object", "embed")]
    assert [tag for tag, attributes in page.tags if tag == "script" and "src" in attributes] == []
    assert found(text, EVIL_ACCOUNT, "<img src=x", "&lt;script&gt;alert(1)&lt;/script&gt;") == [
        False,
        False,
        True,
    ]
    moved = [row.account for row in solution.assignments if row.moved]
    assert len(moved) == solution.moves > 0
    assert sorted(page.tables["moves"]) == sorted(moved)
    new = [r.account for r in solution.assignments if r.previous_csm is None and r.csm]
    assert sorted(page.tables.get("new-accounts", [])) == sorted(new)
    for chart in CHART_IDS:
        assert text.count(f'id="{chart}"') == 1
    assert text.count("* plotly.js v") == 1  # the library is inlined once for the page
    assert found(text, 'http-equiv="Content-Security-Policy"') == [True]


def test_report_handoff_and_why_give_each_move_one_reason(plan, report, tmp_path):
    """The report, the handoff file and `allocate why` name the same category for every
    moved account: all three read `allocator.analysis.reasons`."""
    instance_path, solution_path, solution = plan
    instance = load_instance(instance_path)
    in_report = {
        str(attributes["data-account"]): attributes["data-category"]
        for tag, attributes in parse(report.read_text(encoding="utf-8")).tags
        if tag == "tr" and "data-category" in attributes
    }
    handoff_path = tmp_path / "handoff.csv"
    moves = invoke(
        "moves",
        instance_path,
        solution_path,
        "--preset",
        "salesforce",
        "-o",
        tmp_path / "moves.csv",
        "--handoff",
        handoff_path,
    )
    assert moves.exit_code == 0, moves.output
    table = pd.read_csv(handoff_path, dtype=str, keep_default_na=False)
    in_handoff = dict(zip(table["account"], table["reason"], strict=False))
    reasons = move_reasons(instance, solution)
    moved = [row.account for row in solution.assignments if row.moved]
    assert moved and set(in_report) == set(moved)
    for account_id in moved:
        assert in_report[account_id] == in_handoff[account_id] == reasons[account_id].category
    # `why` for one move of each category (its re-solve kept short).
    shown: dict[str, str] = {}
    for account_id in moved:
        shown.setdefault(reasons[account_id].category, account_id)
    for category, account_id in shown.items():
        result = invoke("why", instance_path, solution_path, account_id, "--time-limit", "1")
        assert result.exit_code == 0, result.output
        assert f"reason ({category}):" in result.output
    assert len(shown) >= 2


def _chromium() -> str | None:
    debian = Path("/usr/bin/chromium")
    return shutil.which("chromium") or (str(debian) if debian.exists() else None)


def test_charts_render_in_headless_chromium(report, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install -y chromium); required when CI is set")
    done = subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    starts = sorted((dom.index(f'id="{chart}"'), chart) for chart in CHART_IDS)
    for (start, chart), (end, _) in zip(starts, [*starts[1:], (len(dom), "")], strict=True):
        section = dom[start:end]
        drawn = 'class="hm"' if chart == "chart-renewals" else 'class="point"'
        assert found(section, 'class="main-svg"', drawn) == [True, True], f"{chart} not drawn"
    assert dom.count('class="main-svg"') >= 2 * len(CHART_IDS)
    assert dom.count("js-plotly-plot") >= len(CHART_IDS)
    # No button that uploads the plan; hostile names stayed text.
    assert found(dom, 'data-title="Share chart', "<script>alert", '<img src="x"') == [False] * 3


# --- small plans: no plan, bad input ----------------------------------------------------------


@pytest.fixture
def tiny(tmp_json, tmp_path) -> tuple[Path, Path]:
    raw = raw_instance(
        [account("A1", current_csm="C3"), account("A2", current_csm="C1"), "A3"],
        ["C1", "C2", csm("C3", leaving=True)],
    )
    path = tmp_json(raw, "inst.json")
    result = invoke(
        "solve", path, "--out", tmp_path / "plan", "--workers", "1", "--time-limit", "10"
    )
    assert result.exit_code == 0, result.output
    return path, tmp_path / "plan" / "solution.json"


def test_tiny_plan_report(tiny, tmp_path):
    path, solution_path = tiny
    result = invoke("report", path, solution_path)  # default: report.html beside the solution
    assert result.exit_code == 0, result.output
    page = parse((solution_path.parent / "report.html").read_text(encoding="utf-8"))
    assert "A1" in page.tables["moves"]  # its owner is leaving
    assert page.tables["new-accounts"] == ["A3"]


def test_solution_without_plan_gives_a_report_saying_so(tiny, tmp_path):
    path, solution_path = tiny
    raw = json.loads(solution_path.read_text())
    raw.update(
        status="INFEASIBLE",
        objective=None,
        bound=None,
        gap=None,
        assignments=[],
        csm_summary=[],
        segment_summary=[],
        explanation=["A1: <none> can take it"],
    )
    solution_path.write_text(json.dumps(raw))
    out = tmp_path / "nothing.html"
    result = invoke("report", path, solution_path, "-o", out)
    assert result.exit_code == 0, result.output
    assert "no plan" in result.output
    text = out.read_text(encoding="utf-8")
    assert found(
        text, 'id="no-plan"', "proven infeasible", "A1: &lt;none&gt; can take it", "Plotly.newPlot"
    ) == [True, True, True, False]
    assert len(text) < 50_000
    assert text.rstrip().endswith("</html>")


def _assert_input_error(result: Result, path: Path, expected: list[str]) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and all(line.startswith(f"{path}: ") for line in lines), lines
    for text in expected:
        assert any(text in line for line in lines), (text, lines)


def test_bad_input_exits_2_one_line_per_problem(tiny, tmp_path, tmp_json):
    path, solution_path = tiny
    missing = tmp_path / "missing.json"
    _assert_input_error(invoke("report", path, missing), missing, ["no such file"])
    bad = tmp_json('{"status": "BOGUS"}', "bad-solution.json")
    _assert_input_error(invoke("report", path, bad), bad, ["status: "])
    raw = json.loads(solution_path.read_text())
    raw["assignments"][0]["csm"] = "C9"
    raw["assignments"][1]["account"] = "Z1"
    other = tmp_json(raw, "other-solution.json")
    _assert_input_error(
        invoke("report", path, other),
        other,
        [
            "csm: CSM 'C9' not in the instance",
            "assignments[account=Z1].account",
            "accounts[id=A2]: account has no assignment row",
        ],
    )
    bad_instance = tmp_json({"accounts": [], "csms": "x"}, "bad-instance.json")
    _assert_input_error(
        invoke("report", bad_instance, solution_path), bad_instance, ["expected a list"]
    )
    _assert_input_error(
        invoke("report", path, solution_path, "-o", tmp_path), tmp_path, ["is a folder"]
    )


def test_a_changed_instance_is_refused_unless_forced(tiny, tmp_path):
    path, solution_path = tiny
    raw = json.loads(path.read_text())
    raw["name"] = "renamed"
    path.write_text(json.dumps(raw))
    out = tmp_path / "r.html"
    result = invoke("report", path, solution_path, "-o", out)
    assert result.exit_code == 1, result.output
    assert "made for another instance" in result.output and not out.exists()
    forced = invoke("report", path, solution_path, "-o", out, "--force")
    assert forced.exit_code == 0, forced.output
    page = out.read_text(encoding="utf-8")
    assert found(page, "made for another instance") == [True]
    assert 'id="checker-verdict"' in page
