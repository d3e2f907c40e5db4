"""The benchmark runner end to end on the S tier and one small GAP instance (no timing)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import run as runner


def test_runner_writes_table_with_checked_rows(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    rows = runner.run(tiers=["S"], gaps="gap1-0", time_limit=10, workers=2, seed=0,
                      methods=["cpsat", "highs", "greedy", "current"], out=out,
                      command="pytest")
    text = out.read_text()
    assert "| instance | method |" in text
    assert out.with_suffix(".csv").exists()
    by_key = {(r.instance, r.method): r for r in rows}
    s = by_key[("S", "cpsat")]
    assert s.status in ("OPTIMAL", "FEASIBLE") and s.checker == "ok"
    assert s.bound is not None and s.bound <= s.objective + 1e-6
    assert s.peak_mib is not None and s.peak_mib > 0
    assert by_key[("S", "greedy")].objective is not None
    assert by_key[("S", "current")].checker != "-"
    gap = by_key[("cattrysse1994/gap1-0", "cpsat")]
    assert gap.status == "OPTIMAL" and gap.checker == "ok"
    assert gap.objective == gap.best_known == 261
    assert gap.gap_to_best == 0
    highs = by_key[("cattrysse1994/gap1-0", "highs")]
    assert highs.checker == "ok" and highs.objective == 261
    assert f"| S | cpsat | {s.status} |" in text
