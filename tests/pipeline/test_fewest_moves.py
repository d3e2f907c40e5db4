"""Fewest moves (`policy.continuity.fewest_moves`): the plan makes the fewest voluntary
moves any plan obeying the rules can make, and is the best on the other terms among them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from allocator.bounds.quick import voluntary_moves
from allocator.cli.main import main
from allocator.deadline import Deadline
from allocator.facts import Facts
from allocator.facts.blocks import find_blocks
from allocator.io.generate import generate_instance
from allocator.parameters import SolveParams
from allocator.pipeline import solve
from allocator.pipeline.fewest_moves import fewest_moves
from allocator.schema.instance import Instance, with_fewest_moves
from allocator.schema.solution import Solution
from allocator.search import greedy_plan, improve, repair_books
from tests.builders import EFFECTIVE
from tests.strategies import instances, to_instance


def lexicographic_best(instance: Instance) -> tuple[int, float] | None:
    """(fewest voluntary moves, best objective among plans making that many) over every
    plan the checker accepts, by enumeration."""
    facts = Facts(instance, EFFECTIVE)
    named = facts.named_accounts
    base: dict[str, str | None] = {a.id: None for a in instance.accounts}
    best: tuple[int, float] | None = None
    for combo in itertools.product([c.id for c in instance.csms], repeat=len(named)):
        owners = {**base, **dict(zip(named, combo, strict=True))}
        report = facts.checker.check(owners)
        if report.violations:
            continue
        key = (report.moves - report.forced_moves, report.objective)
        if best is None or key < best:
            best = key
    return best


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(raw=instances())
def test_fewest_moves_agrees_with_brute_force(raw: dict[str, Any]) -> None:
    instance = with_fewest_moves(to_instance(raw))
    result = solve(instance, time_limit=5, workers=1, effective_date=EFFECTIVE)
    solution = result.solution
    best = lexicographic_best(instance)
    if best is None:
        assert solution.status in ("INFEASIBLE", "UNKNOWN")
        return
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    assert result.report is not None and not result.report.violations
    voluntary = result.report.moves - result.report.forced_moves
    fewest = solution.parameters["fewest_voluntary_moves"]
    assert isinstance(fewest, int)
    assert fewest <= best[0] <= voluntary  # the bound is proven, the plan no better than best
    if solution.parameters["fewest_moves_proven"]:
        assert voluntary == best[0]
    if solution.status == "OPTIMAL":
        assert voluntary == best[0]
        assert abs(result.report.objective - best[1]) < 1e-6


def _changed_book() -> Instance:
    """A solved book becomes the current one, then one CSM leaves. The generated books are
    tight: of the 13 CSMs with accounts, C012 (14 accounts) is one whose leaving still has
    a plan."""
    instance = generate_instance(200, 14, seed=2, name="leaver")
    solved = solve(instance, time_limit=10, workers=1).owners
    raw = instance.model_dump(mode="json", exclude_none=True)
    for record in raw["accounts"]:
        if solved.get(record["id"]) is not None:
            record["current_csm"] = solved[record["id"]]
        else:
            record.pop("current_csm", None)
    for record in raw["csms"]:
        record["leaving"] = record["id"] == "C012"
    return Instance.model_validate(raw)


def test_a_leaver_moves_only_their_accounts_where_the_weighted_plan_moves_more() -> None:
    changed = _changed_book()
    weighted = solve(changed, time_limit=10, workers=1).solution
    fewest = solve(with_fewest_moves(changed), time_limit=10, workers=1).solution
    assert weighted.status == fewest.status == "OPTIMAL"
    assert not fewest.violations
    assert fewest.forced_moves == weighted.forced_moves > 0
    assert fewest.moves is not None and weighted.moves is not None
    assert fewest.moves < weighted.moves  # measured: 14 against 18
    assert fewest.parameters["fewest_moves_proven"] is True
    assert fewest.parameters["fewest_voluntary_moves"] == fewest.moves - fewest.forced_moves


def test_the_pass_never_returns_more_moves_than_the_constructed_plan() -> None:
    instance = with_fewest_moves(generate_instance(300, 12, seed=9, name="messy"))
    facts = Facts(instance, EFFECTIVE)
    hint = repair_books(facts, greedy_plan(facts, keep_current=True))
    for block in find_blocks(facts):
        found = fewest_moves(facts, block, hint, Deadline.after(2.0), 1, 0, SolveParams())
        if found is None:
            continue
        assert not facts.checker.block_violations(
            found.plan, list(block.accounts), list(block.csms)
        )
        assert found.fewest <= found.voluntary
        assert found.voluntary == voluntary_moves(facts, block.accounts, found.plan)
        if not facts.checker.block_violations(hint, list(block.accounts), list(block.csms)):
            assert found.voluntary <= voluntary_moves(facts, block.accounts, hint)


def test_a_capped_neighbourhood_search_never_adds_voluntary_moves() -> None:
    instance = generate_instance(300, 12, seed=9, name="messy")
    facts = Facts(instance, EFFECTIVE)
    plan = repair_books(facts, greedy_plan(facts, keep_current=True))
    block = max(find_blocks(facts), key=lambda b: len(b.accounts))
    before = voluntary_moves(facts, block.accounts, plan)
    objective_before = facts.checker.check(plan).objective
    searched = improve(facts, block, plan, Deadline.after(2.0), seed=1, capped=True)
    assert searched.stats.steps > 0
    plan = {**plan, **searched.plan}
    assert voluntary_moves(facts, block.accounts, plan) <= before
    assert facts.checker.check(plan).objective <= objective_before + 1e-6


def test_cli_fewest_moves_flag(tmp_path: Path) -> None:
    changed = _changed_book()
    path = tmp_path / "changed.json"
    path.write_text(changed.model_dump_json(exclude_none=True), encoding="utf-8")
    done = CliRunner().invoke(
        main,
        ["solve", str(path), "--time-limit", "10", "--fewest-moves", "--out", str(tmp_path / "o")],
    )
    assert done.exit_code == 0, done.output
    assert "the fewest any plan can make: proven" in done.output
    written = json.loads((tmp_path / "o" / "solution.json").read_text(encoding="utf-8"))
    assert written["parameters"]["fewest_moves_proven"] is True


def test_in_fewest_moves_mode_fewer_moves_beat_a_lower_objective(tmp_path: Path) -> None:
    from allocator.pipeline.result import SolveResult, better_plan

    instance = with_fewest_moves(_changed_book())
    solved = solve(instance, time_limit=10, workers=1).solution
    assert solved.moves is not None and solved.objective is not None
    path = tmp_path / "solution.json"
    path.write_text(solved.model_dump_json(), encoding="utf-8")

    def new(solution: Solution) -> SolveResult:
        return SolveResult(solution, None, instance)

    fewer_but_dearer = solved.model_copy(
        update={"moves": solved.moves - 1, "objective": solved.objective + 10}
    )
    assert better_plan(path, new(fewer_but_dearer)) is None  # replaces the file
    more_but_cheaper = solved.model_copy(
        update={"moves": solved.moves + 1, "objective": solved.objective - 10}
    )
    assert better_plan(path, new(more_but_cheaper)) is not None  # the file's plan is kept
    weighted = more_but_cheaper.model_copy(update={"parameters": {}})
    assert better_plan(path, new(weighted)) is None  # weighted mode: the objective decides


def test_fewest_moves_counts_moves_even_when_they_cost_nothing() -> None:
    """Found by the property test: with cost_per_move 0 the moves term is 0, and the pass
    once took any plan as having the fewest moves. A4 can stay with C0 (210 of 400)."""
    from allocator.io.loading import instance_from_dict

    def account(index: int, **extra: Any) -> dict[str, Any]:
        return {
            "id": f"A{index}",
            "arr": 20000,
            "renewal_date": "2025-01-01",
            "vertical": "retail",
            "region": "EU",
            **extra,
        }

    needy = {"lifecycle_stage": "onboarding", "health": 30}
    raw = {
        "name": "free-moves",
        "accounts": [
            account(0),
            account(1),
            account(2, **needy),
            account(3),
            account(4, current_csm="C0", **needy),
        ],
        "csms": [
            {"id": "C0", "segments": ["Global", "Enterprise", "Scale"], "capacity": 4},
            {"id": "C1", "segments": ["Scale"], "capacity": 8},
        ],
        "policy": {
            "effective_date": "2026-01-01",
            "balance": {"tolerance": 0.0},
            "continuity": {"cost_per_move": 0, "fewest_moves": True},
        },
    }
    result = solve(instance_from_dict(raw), time_limit=5, workers=1)
    assert result.owners["A4"] == "C0"
    assert result.solution.parameters["fewest_voluntary_moves"] == 0
