"""The neighbourhood search on a new, tight book (issue 16): groups spread over every CSM
when no balance target ranks them, a step's model holds only its group's pairs, the
adaptive group size follows how often steps are proven, and the search only improves."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.deadline import Deadline
from allocator.facts import Block, Facts
from allocator.facts.blocks import find_blocks
from allocator.io import read_orlib_gap
from allocator.schema import effective_date_of
from allocator.schema.plan import Plan
from allocator.search import improve, starting_plan
from allocator.search.lp_start import lp_start
from allocator.search.neighbourhood import _books, _Groups, _Size, _step_model
from benchmarks.gap_tight import generate


def _tight_book(tmp_path: Path, kind: str, csms: int, accounts: int) -> tuple[Facts, Block]:
    path = tmp_path / f"{kind}{csms}x{accounts}"
    path.write_text(generate(kind, csms, accounts, seed=5), encoding="utf-8")
    instance = read_orlib_gap(path)
    facts = Facts(instance, effective_date_of(instance))
    (block,) = find_blocks(facts)
    return facts, block


def test_groups_start_from_every_csm_when_no_balance_target_ranks_them(tmp_path: Path) -> None:
    facts, block = _tight_book(tmp_path, "c", 40, 200)
    assert facts.instance.policy.weights.balance == 0  # a GAP book: balance is not scored
    plan = starting_plan(facts, [block])
    books = _books(plan, block)
    groups = _Groups(facts, block, seed=0, moves_only=False)
    firsts = {groups.choose(plan, books, 3)[0] for _ in range(300)}
    # Settled by name, ties would put the first CSM among the first dozen or so names.
    assert len(firsts) >= 30


def test_a_step_model_holds_only_its_groups_pairs(tmp_path: Path) -> None:
    facts, block = _tight_book(tmp_path, "d", 20, 200)
    plan = starting_plan(facts, [block])
    books = _books(plan, block)
    group = sorted(block.csms)[:3]
    built = _step_model(facts, plan, books, group, capped=False, moves_only=False)
    held = {a for c in group for a in books[c]}
    assert set(built.form.x) == {(a, c) for a in held for c in group}
    # Its objective is the group's share of the pair costs, nothing from other CSMs.
    proto = built.model.proto.objective
    assert len(proto.vars) == len(built.form.x)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([True] * 8, 6),  # proven steps: the group grows
        ([False] * 10, 2),  # steps that time out: it shrinks, to a pair at least
        ([True, True, True, False] * 10, 4),  # three in four proven: it holds
        ([True, False] * 10, 2),
        ([True] * 100, 12),  # never above its most
    ],
)
def test_the_adaptive_group_follows_proven_steps(steps: list[bool], expected: int) -> None:
    size = _Size(start=4, most=12)
    for proven in steps:
        size.after(proven)
    assert size.now() == expected


def test_the_adaptive_search_improves_an_lp_rounded_start(tmp_path: Path) -> None:
    facts, block = _tight_book(tmp_path, "d", 10, 200)
    started = lp_start(facts, block, starting_plan(facts, [block]), Deadline.after(20))
    assert started is not None and facts.checker.check(started.plan).feasible
    before = block.objective(facts, started.plan)
    searched = improve(
        facts,
        block,
        started.plan,
        Deadline.after(3),
        seed=0,
        group_size=3,
        step_seconds=0.3,
        adaptive=True,
    )
    report = facts.checker.check(searched.plan)
    assert report.feasible, report.violations[:3]
    assert searched.stats.steps > 0
    assert block.objective(facts, searched.plan) <= before


def test_a_busy_csm_is_in_no_other_group(tmp_path: Path) -> None:
    facts, block = _tight_book(tmp_path, "c", 20, 200)
    plan = starting_plan(facts, [block])
    books = _books(plan, block)
    groups = _Groups(facts, block, seed=0, moves_only=False)
    busy = set(sorted(block.csms)[:10])
    for _ in range(100):
        group = groups.choose(plan, books, 4, busy)
        assert group and not set(group) & busy
    assert groups.choose(plan, books, 4, set(block.csms)) == []


def test_two_lanes_search_apart_and_their_steps_add_up(tmp_path: Path) -> None:
    """Two lanes take steps at once on groups apart; every step's result is kept, so the
    plan obeys every rule and is no worse than the start. The groups under way never
    share a CSM (checked as each step's model is built)."""
    facts, block = _tight_book(tmp_path, "d", 20, 400)
    started = lp_start(facts, block, starting_plan(facts, [block]), Deadline.after(20))
    assert started is not None and facts.checker.check(started.plan).feasible
    before = block.objective(facts, started.plan)
    under_way: list[set[str]] = []
    overlaps: list[set[str]] = []
    concurrent = [0]
    real_choose = _Groups.choose

    def watched(
        self: _Groups,
        plan: Plan,
        books: dict[str, list[str]],
        size: int,
        busy: set[str] | None = None,
    ) -> list[str]:
        group = real_choose(self, plan, books, size, busy)
        if busy:
            concurrent[0] += 1
            overlaps.append(set(group) & busy)
        under_way.append(set(group))
        return group

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_Groups, "choose", watched)
        searched = improve(
            facts,
            block,
            started.plan,
            Deadline.after(4),
            seed=0,
            group_size=3,
            step_seconds=0.3,
            adaptive=True,
            lanes=2,
        )
    report = facts.checker.check(searched.plan)
    assert report.feasible, report.violations[:3]
    assert block.objective(facts, searched.plan) <= before
    assert concurrent[0] > 0  # steps did run side by side
    assert not any(overlaps)
    assert searched.stats.steps == len(under_way)


def test_groups_from_lp_partners_stay_among_the_closest(tmp_path: Path) -> None:
    facts, block = _tight_book(tmp_path, "d", 20, 200)
    plan = starting_plan(facts, [block])
    books = _books(plan, block)
    names = sorted(block.csms)
    partners = {c: [o for o in names if o != c] for c in names}  # closest: by name
    groups = _Groups(facts, block, seed=0, moves_only=False, partners=partners, partner_share=1)
    for _ in range(100):
        first, *rest = groups.choose(plan, books, 3)
        assert len(rest) == 2 and set(rest) <= set(partners[first][:6])
    # A partner list too short for the group is filled from the other neighbours.
    short = {c: [o for o in names if o != c][:1] for c in names}
    groups = _Groups(facts, block, seed=0, moves_only=False, partners=short, partner_share=1)
    first, *rest = groups.choose(plan, books, 4)
    assert len(rest) == 3 and short[first][0] in rest
