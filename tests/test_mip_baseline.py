"""The MIP baseline builds the CP-SAT model's rules and objective: same optimum, checked plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from allocator.checker.check import check
from allocator.schema.instance import (
    Account,
    Balance,
    Continuity,
    CostToArr,
    Csm,
    Instance,
    ObjectiveWeights,
    Pair,
    Policy,
    RenewalSpread,
    Segment,
    Specialization,
)
from allocator.model.mip import highs_available, solve_mip
from allocator.io.orlib_gap import read_orlib_gap
from allocator.pipeline.solve import solve

GAP = Path(__file__).resolve().parent.parent / "instances" / "gap"
DAY = dt.date(2026, 1, 1)


def _account(aid: str, arr: float, days: int, current: str | None = None,
             **extra: object) -> Account:
    return Account.model_validate({"id": aid, "arr": arr, "current_csm": current,
                                   "renewal_date": DAY + dt.timedelta(days=days), **extra})


def multi_rule_instance() -> Instance:
    """Small, but with every rule of the model switched on and most of them binding."""
    policy = Policy(
        segments=[
            Segment(name="Enterprise", min_arr=100_000, max_accounts=3, base_effort=3),
            Segment(name="Scale", min_arr=0, max_arr=100_000, max_accounts=4, base_effort=1),
            Segment(name="Digital", min_arr=0, max_arr=1, pooled=True),
        ],
        strategic_segment="Enterprise",
        specialization=Specialization(verticals=["finance"], hard=False),
        renewal_spread=RenewalSpread(window="quarter", max_per_window=2, hard=False),
        balance=Balance(band=0.6),
        continuity=Continuity(cost_per_move=1.5, max_moves=3, freeze_days=30),
        cost_to_arr=CostToArr(enforce_per_csm=True),
        weights=ObjectiveWeights(balance=0.5, moves=2, renewal_bunching=1.5, pair_cost=1,
                                 specialization=3),
        effective_date=DAY,
    )
    csms = [
        Csm(id="gen", segments=["Enterprise", "Scale"], capacity=11, annual_cost=45_000),
        Csm(id="fin", segments=["Enterprise", "Scale"], verticals=["finance"], capacity=10),
        Csm(id="scale", segments=["Scale"], capacity=8, ramp=0.75, regions=["EU"]),
        Csm(id="eu", segments=["Enterprise", "Scale"], capacity=7, regions=["EU"]),
        Csm(id="gone", segments=["Scale"], capacity=8, leaving=True),
    ]
    accounts = [
        _account("e1", 300_000, 10, "fin", vertical="finance"),  # frozen with fin
        _account("e2", 200_000, 40, "gen", region="US"),
        _account("e3", 150_000, 50, "gen", vertical="finance", region="US"),
        _account("e4", 120_000, 60, "fin", parent_id="e2", region="US"),  # family of e2
        _account("e5", 50_000, 70, strategic=True, region="EU"),  # strategic: Enterprise
        _account("e6", 250_000, 200, "eu", region="EU", lifecycle_stage="onboarding"),
        _account("s1", 20_000, 20, "gone", region="EU"),  # forced move
        _account("s2", 30_000, 25, "gone", region="EU", health=30),
        _account("s3", 40_000, 45, "scale", region="EU", locked=True),
        _account("s4", 60_000, 55, "scale", region="EU", vertical="finance"),
        _account("s5", 25_000, 65, "gen", region="US", vertical="finance"),
        _account("s6", 35_000, 75, region="EU", contract="monthly"),
        _account("s7", 45_000, 120, "eu", region="EU"),
        _account("s8", 15_000, 130, "fin", region="US", vertical="finance"),
        _account("d1", 0, 90, "gen", segment="Digital"),  # pooled: no named owner
    ]
    pairs = [
        Pair(account="s5", csm="fin", cost=-2.5),
        Pair(account="s6", csm="eu", cost=1.25),
        Pair(account="s7", csm="gen", cost=0.75, effort=0.5),
        Pair(account="e2", csm="eu", allowed=False),
        Pair(account="e2", csm="gen", cost=2),
        Pair(account="e6", csm="gen", cost=3),
    ]
    return Instance(name="multi-rule", accounts=accounts, csms=csms, pairs=pairs,
                    policy=policy)


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
    assert report.terms == pytest.approx(mip.terms)
    # The rules bite: most objective terms are in play and the pooled account has no owner.
    assert all(report.terms[t] != 0 for t in ("balance", "moves", "renewal_bunching",
                                               "pair_cost"))
    assert mip.owners["d1"] is None
    assert mip.owners["e1"] == "fin"  # renewal freeze
    assert mip.owners["s3"] == "scale"  # lock
    assert mip.owners["e2"] == mip.owners["e4"]  # family
    assert report.moves - report.forced_moves <= 3


def test_infeasible_instance_is_reported_infeasible() -> None:
    inst = read_orlib_gap(GAP / "cattrysse1994" / "gap1-0")
    tight = inst.model_copy(update={"csms": [c.model_copy(update={"capacity": 5.0})
                                             for c in inst.csms]})
    result = solve_mip(tight, time_limit=10)
    assert result.status == "INFEASIBLE"
    assert result.objective is None
    assert result.owners == {}
