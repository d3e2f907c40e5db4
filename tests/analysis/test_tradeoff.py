"""The moves / balance trade-off curve: monotone, warm-started, every point checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from allocator.analysis import tradeoff
from allocator.analysis.tradeoff import (
    TradeoffPoint,
    curve_instance,
    is_monotone,
    parse_points,
    run_tradeoff,
)
from allocator.checker import check
from allocator.cli.main import main
from allocator.io.generate import generate_instance, write_instance
from allocator.pipeline.result import SolveResult
from allocator.schema.instance import Instance

BUDGETS: list[int | None] = [0, 2, 5, 10, None]


@pytest.fixture(scope="module")
def instance() -> Instance:
    return generate_instance(120, 10, seed=1)


@pytest.fixture(scope="module")
def curve(instance: Instance) -> list[TradeoffPoint]:
    return run_tradeoff(instance, BUDGETS, time_limit=3, workers=2)


def test_curve_is_monotone_and_every_point_passes_the_checker(
    instance: Instance, curve: list[TradeoffPoint]
) -> None:
    assert [p.budget for p in curve] == BUDGETS
    assert is_monotone(curve)
    assert curve[0].objective is not None and curve[-1].objective is not None
    assert curve[-1].objective < curve[0].objective  # moves buy balance here
    effective = instance.policy.effective_date
    assert effective is not None
    for point in curve:
        assert point.checker == "ok" and point.plan is not None
        assert point.moves is not None and (point.budget is None or point.moves <= point.budget)
        assert point.objective is not None and point.bound is not None
        assert point.bound <= point.objective + 1e-6
        report = check(curve_instance(instance, point.budget), point.plan, effective)
        assert report.feasible and report.objective == pytest.approx(point.objective)


def test_curve_instance_zeroes_the_moves_weight_only(instance: Instance) -> None:
    capped = curve_instance(instance, 7)
    assert capped.policy.continuity.max_moves == 7
    assert capped.policy.weights.moves == 0
    assert capped.policy.weights.balance == instance.policy.weights.balance
    assert capped.policy.weights.renewal_bunching == instance.policy.weights.renewal_bunching
    assert instance.policy.continuity.max_moves is None  # the original is untouched
    only = curve_instance(instance, None, balance_only=True).policy.weights
    assert (only.renewal_bunching, only.pair_cost, only.balance) == (0, 0, 1)


def test_each_point_is_warm_started_from_the_previous_plan(
    instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tradeoff.solve  # type: ignore[attr-defined]
    hints: list[dict[str, str | None] | None] = []

    def recording(current: Instance, **kwargs: Any) -> SolveResult:
        hints.append(kwargs.get("start"))
        return real(current, **kwargs)

    monkeypatch.setattr(tradeoff, "solve", recording)
    points = run_tradeoff(instance, [0, 3], time_limit=2, workers=2)
    assert hints[0] is None and hints[1] == points[0].plan


def test_a_worse_or_missing_solver_plan_keeps_the_previous_one(
    instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tradeoff.solve  # type: ignore[attr-defined]

    def sabotaged(current: Instance, **kwargs: Any) -> SolveResult:
        result = real(current, **kwargs)
        budget = current.policy.continuity.max_moves
        if budget == 3:
            return SolveResult(result.solution.model_copy(update={"objective": 1e9}), result.report)
        if budget == 6:
            return SolveResult(result.solution.model_copy(update={"status": "UNKNOWN"}), None)
        return result

    monkeypatch.setattr(tradeoff, "solve", sabotaged)
    points = run_tradeoff(instance, [0, 3, 6], time_limit=2, workers=2)
    assert is_monotone(points)
    assert points[1].plan == points[0].plan and points[2].plan == points[0].plan
    assert "is worse; kept budget 0's plan" in points[1].note
    assert points[2].note == "solver found no plan (UNKNOWN); kept budget 3's plan"
    assert all(p.checker == "ok" for p in points)


def test_parse_points() -> None:
    assert parse_points("200, 0,25,unlimited,25") == [0, 25, 200, None]
    with pytest.raises(ValueError, match="not a move budget"):
        parse_points("0,ten")


def test_cli_writes_table_csv_and_chart(
    instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_instance(instance, tmp_path / "instance.json")
    csv_path, chart = tmp_path / "tradeoff.csv", tmp_path / "tradeoff.html"
    args = [
        "tradeoff",
        str(path),
        "--points",
        "0,4,unlimited",
        "--time-limit",
        "2",
        "--workers",
        "2",
        "-o",
        str(csv_path),
        "--chart",
        str(chart),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(csv_path, keep_default_na=False)
    assert list(frame["budget"]) == ["0", "4", "unlimited"]
    assert (frame["checker"] == "ok").all()
    assert list(frame["objective"]) == sorted(frame["objective"], reverse=True)
    assert "objective without moves vs move budget" in result.output
    assert chart.exists() and "plotly" in chart.read_text(encoding="utf-8")[:20000]
    bad = CliRunner().invoke(main, ["tradeoff", str(path), "--points", "x"])
    assert bad.exit_code == 2 and "not a move budget" in bad.output


def _over_cap() -> Instance:
    """C1 holds five Scale accounts under a cap of 3: any plan moves at least two of them,
    voluntarily (over-cap moves count against the move cap)."""
    from tests.builders import account, csm, make_instance

    return make_instance(
        [account(f"A{i}", current_csm="C1", effort=1 + i) for i in range(5)]
        + [account(f"B{i}", current_csm="C2", effort=2) for i in range(3)],
        [csm("C1", max_accounts={"Scale": 3}), csm("C2"), csm("C3")],
    )


def test_the_curve_starts_at_the_proven_fewest_moves() -> None:
    curve = run_tradeoff(_over_cap(), [0, 1, 3, None], time_limit=5, workers=1)
    below = [p for p in curve if p.status == "BELOW MINIMUM"]
    assert [p.budget for p in below] == [0, 1]
    assert all(p.plan is None and "fewer than 2 voluntary moves (proven)" in p.note for p in below)
    first = next(p for p in curve if p.plan is not None)
    assert first.budget == 2 and first.moves == 2
    assert first.note == "the fewest voluntary moves any plan can make (proven)"
    assert [p.budget for p in curve] == [0, 1, 2, 3, None]
    assert is_monotone([p for p in curve if p.plan is not None])


def test_unlimited_makes_the_same_moves_whatever_the_seed() -> None:
    """Among plans of equal objective the fewest moves: two seeds, one answer."""
    instance = generate_instance(120, 10, seed=1)
    runs = [run_tradeoff(instance, [None], time_limit=5, workers=1, seed=s) for s in (0, 1)]
    ends = [(c[-1].objective, c[-1].moves) for c in runs]
    assert runs[0][-1].status == runs[1][-1].status == "OPTIMAL"
    assert ends[0] == ends[1]


def test_the_chart_axis_names_what_is_plotted(tmp_path: Path) -> None:
    curve = run_tradeoff(_over_cap(), [3], time_limit=5, workers=1)
    chart = tmp_path / "curve.html"
    tradeoff.write_chart(curve, chart, "t", tradeoff.curve_measure(balance_only=False))
    text = chart.read_text(encoding="utf-8")
    assert '"yaxis":{"title":{"text":"objectivewithoutmoves"}}' in text.replace(" ", "")
    assert tradeoff.curve_measure(balance_only=True) == "balance"
