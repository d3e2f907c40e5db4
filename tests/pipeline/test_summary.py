"""Per-block objective, bound and gap: they add up to the plan's, each bound is under its
block's objective, and the CLI shows and writes them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from allocator.cli.main import main
from allocator.deadline import Deadline
from allocator.facts import Facts
from allocator.facts.blocks import find_blocks
from allocator.io.loading import load_instance
from allocator.pipeline import solve
from allocator.pipeline.block import _search_progress
from allocator.search import greedy_plan, improve
from tests.builders import INSTANCES


def _check_rows_add_up(name: str, time_limit: float) -> list[str]:
    instance = load_instance(INSTANCES / name)
    solution = solve(instance, time_limit=time_limit).solution
    assert solution.objective is not None and solution.bound is not None
    facts = Facts(instance, solution.effective_date)
    rows = solution.block_summary
    assert [r.accounts for r in rows] == [b.size for b in find_blocks(facts)]
    offset = facts.pooled_move_cost
    assert abs(offset + sum(r.objective for r in rows) - solution.objective) < 1e-4
    for row in rows:
        assert row.bound <= row.objective + 1e-9
        assert (row.status == "OPTIMAL") == (row.gap in (None, 0.0))
    # The plan's bound is the blocks' (capped at the objective).
    assert abs(min(offset + sum(r.bound for r in rows), solution.objective) - solution.bound) < 1e-4
    return [r.status for r in rows]


def test_bench_s_blocks_are_all_proven_and_add_up() -> None:
    assert set(_check_rows_add_up("bench-S.json", 30)) == {"OPTIMAL"}


def test_bench_m_blocks_add_up_when_stopped_early() -> None:
    statuses = _check_rows_add_up("bench-M.json", 4)
    assert "FEASIBLE" in statuses  # 4 s is not enough to prove the big blocks


def test_cli_shows_and_writes_the_blocks(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        main,
        [
            "solve",
            str(INSTANCES / "bench-S.json"),
            "--out",
            str(out),
            "--time-limit",
            "30",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "6 independent blocks, all proven optimal" in result.output
    table = pd.read_csv(out / "block_summary.csv")
    assert len(table) == 6 and set(table["status"]) == {"OPTIMAL"}
    assert (table["bound"] <= table["objective"] + 1e-9).all()


def test_progress_reports_the_plan_during_the_neighbourhood_search() -> None:
    """The search on bench-M's 1,826-account block reports the block's objective as it
    goes (before, progress went quiet until CP-SAT's first plan of the whole block)."""

    instance = load_instance(INSTANCES / "bench-M.json")
    assert instance.policy.effective_date is not None
    facts = Facts(instance, instance.policy.effective_date)
    block = max(find_blocks(facts), key=lambda b: b.size)
    start = greedy_plan(facts, keep_current=True)
    ticks: list[tuple[float | None, float | None, int]] = []
    searched = improve(
        facts,
        block,
        start,
        Deadline.after(2.0),
        0,
        on_step=_search_progress(facts, block, lambda *tick: ticks.append(tick), every=0.0),
    )
    plan = searched.plan
    assert len(ticks) >= 2
    values = [value for value, _, _ in ticks]
    assert all(b is not None and v is not None and b <= v for v, b, _ in ticks)
    assert all(v is not None for v in values)
    assert values[-1] == block.objective(facts, plan)
    assert values[-1] < values[0]  # the search improved the greedy plan
