"""The model's MathOpt form solved by HiGHS (and SCIP): the same optimum as CP-SAT, and a
plan the checker accepts."""

from __future__ import annotations

import pytest

from allocator.checker import check
from allocator.io.orlib_gap import read_orlib_gap
from allocator.model.mip import highs_available, solve_mip
from allocator.pipeline import solve
from tests.builders import DAY, INSTANCES, multi_rule_instance

GAP = INSTANCES / "gap"


def test_highs_is_available() -> None:
    assert highs_available()


def test_highs_on_gap1_0_gives_261() -> None:
    inst = read_orlib_gap(GAP / "cattrysse1994" / "gap1-0")
    result = solve_mip(inst, time_limit=20)
    assert result.solver == "highs"
    assert result.status == "OPTIMAL"
    assert result.objective == pytest.approx(261)
    assert result.bound == pytest.approx(261)
    report = check(inst, result.owners, DAY)
    assert report.feasible
    assert report.terms["pair_cost"] == report.objective == result.objective


def test_scip_backend_on_gap1_0_gives_261() -> None:
    inst = read_orlib_gap(GAP / "cattrysse1994" / "gap1-0")
    result = solve_mip(inst, time_limit=20, solver="scip")
    assert (result.solver, result.status) == ("scip", "OPTIMAL")
    assert result.objective == pytest.approx(261)


def test_multi_rule_instance_same_optimum_as_cp_sat() -> None:
    inst = multi_rule_instance()
    cp = solve(inst, time_limit=20, workers=8)
    mip = solve_mip(inst, time_limit=20)
    assert cp.status == "OPTIMAL"
    assert cp.solution.violations == []
    assert mip.status == "OPTIMAL"
    assert mip.objective is not None and cp.objective is not None
    assert mip.objective == pytest.approx(cp.objective, abs=1e-6)
    assert mip.solver_objective == pytest.approx(mip.objective, abs=1e-6)
    assert mip.bound is not None and mip.bound <= mip.objective + 1e-9
    report = check(inst, mip.owners, DAY)
    assert report.violations == []
    assert report.objective == pytest.approx(mip.objective, abs=1e-9)
    # The rules bite: most objective terms are in play and the pooled account has no owner.
    assert all(report.terms[t] != 0 for t in ("balance", "moves", "renewal_bunching", "pair_cost"))
    assert mip.owners["d1"] is None
    assert mip.owners["e1"] == "fin"  # renewal freeze
    assert mip.owners["s3"] == "scale"  # lock
    assert mip.owners["e2"] == mip.owners["e4"]  # family
    assert report.moves - report.forced_moves <= 3


def test_infeasible_instance_is_reported_infeasible() -> None:
    inst = read_orlib_gap(GAP / "cattrysse1994" / "gap1-0")
    tight = inst.model_copy(
        update={"csms": [c.model_copy(update={"capacity": 5.0}) for c in inst.csms]}
    )
    result = solve_mip(tight, time_limit=10)
    assert result.status == "INFEASIBLE"
    assert result.objective is None
    assert result.owners == {}
