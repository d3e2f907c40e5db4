"""The benchmark runner end to end on the S tier and one small GAP instance (no timing)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import run as runner


def test_runner_writes_table_with_checked_rows(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    rows = runner.run(
        tiers=["S"],
        gaps="gap1-0",
        time_limit=10,
        workers=2,
        seed=0,
        methods=["cpsat", "plain", "highs", "greedy", "current"],
        out=out,
        command="pytest",
    )
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
    plain = by_key[("S", "plain")]
    assert plain.checker == "ok" and plain.bound is not None
    assert plain.bound <= plain.objective + 1e-6
    highs = by_key[("cattrysse1994/gap1-0", "highs")]
    assert highs.checker == "ok" and highs.objective == 261
    assert f"| S | cpsat | 10.00 | {s.status} |" in text


def test_rebalance_changes_five_percent_of_a_solved_book() -> None:
    from allocator.facts import Facts
    from allocator.io.loading import load_instance
    from allocator.pipeline import solve
    from benchmarks.rebalance import changed_book

    base = load_instance(Path(runner.ensure_tier("S")))
    plan = solve(base, time_limit=10).owners
    changed, counts = changed_book(base, plan, seed=3)
    named = [a for a in base.accounts if plan.get(a.id) is not None]
    touched = counts["leaver_accounts"] + counts["new_accounts"] + counts["segment_changes"]
    assert abs(touched - 0.05 * len(named)) <= 2
    assert counts["new_accounts"] > 0 and counts["segment_changes"] > 0
    assert sum(c.leaving for c in changed.csms) == sum(c.leaving for c in base.csms) + 1
    assert len(changed.accounts) == len(base.accounts) + counts["new_accounts"]
    # The solved plan became the books: every kept account's owner is its planned CSM.
    owners = {a.id: a.current_csm for a in changed.accounts}
    assert all(owners[a] == plan[a] for a in plan if plan[a] is not None)
    assert changed.policy.effective_date is not None
    facts = Facts(changed, changed.policy.effective_date)
    assert facts.eligibility.forced_move  # the leaver's book, at least, must move


def test_the_committed_tight85_instance_is_what_its_script_builds() -> None:
    from allocator.io.loading import load_instance
    from benchmarks.tight85 import OUT, tight85

    assert load_instance(OUT) == tight85()


def test_tight_rows_are_measured_against_the_best_proven_bound() -> None:
    """The reference is the highest bound any method proved (LP at least); a bound above a
    checked plan is a numerical slip and is not used."""
    note = runner.TIGHT_NOTE

    def row(method: str, objective: float | None, bound: float | None) -> runner.Row:
        r = runner.Row(instance="d5x100", method=method, time_limit=60)
        r.objective, r.bound, r.best_known, r.note = objective, bound, 100.0, note
        r.checker = "ok" if objective is not None else "-"
        return r

    rows = [row("cpsat", 104.0, 99.0), row("plain", 105.0, 101.0), row("highs", 102.0, 102.5)]
    runner.with_best_bounds(rows)
    assert {r.best_known for r in rows} == {101.0}
    assert rows[0].gap_to_best == (104.0 - 101.0) / 101.0
    assert rows[2].gap_to_best == (102.0 - 101.0) / 101.0
