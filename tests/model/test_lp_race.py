"""The LP relaxation raced by dual simplex and the barrier (issue 16): the same optimum
as HiGHS's own choice, in a race or, on one core, alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.facts import Facts
from allocator.facts.blocks import find_blocks
from allocator.io import read_orlib_gap
from allocator.model import lp_race
from allocator.model.lp_race import solve_lp
from allocator.model.mathopt import build_mip, solve_highs
from allocator.schema import effective_date_of
from benchmarks.gap_tight import generate


@pytest.mark.parametrize(("cores", "race"), [(1, True), (2, True), (2, False)])
def test_the_raced_lp_is_the_lp(
    tmp_path: Path, cores: int, race: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "e10x200"
    path.write_text(generate("e", 10, 200, seed=7), encoding="utf-8")
    instance = read_orlib_gap(path)
    facts = Facts(instance, effective_date_of(instance))
    (block,) = find_blocks(facts)
    form = build_mip(facts, block)
    objective = form.weighted_objective()
    alone = solve_highs(form.model, objective, 30, relax=True)
    monkeypatch.setattr(lp_race, "available_cpus", lambda: cores)
    raced = solve_lp(form.model, objective, 30, race)
    assert raced.status == alone.status == "OPTIMAL"
    assert raced.objective is not None and alone.objective is not None
    assert abs(raced.objective - alone.objective) <= 1e-6 * abs(alone.objective)
    assert raced.values is not None
    # A basic solution: every account whole but for about one split account per CSM.
    split = {a for (a, _), var in form.x.items() if 1e-6 < raced.values[var] < 1 - 1e-6}
    assert len(split) <= len(block.csms)
