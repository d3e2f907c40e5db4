"""The fewest-moves pass (`policy.continuity.fewest_moves`): how few voluntary moves a
block's plan can make, before the block is solved on the other terms under that cap.

The pass solves a narrowed model on moves alone. Accounts that change owner anyway
(forced, unowned) and the accounts of CSMs whose kept book breaks a per-CSM rule (a cap,
capacity or the band's top) may go to any allowed CSM; every other account may only stay,
go where the constructed plan put it, or go to a CSM whose kept book is under the band's
floor. A plan of the narrowed model is a plan of the block; it is proven to make the
fewest moves when it meets the quick move bound (`quick_bound.fewest_voluntary`), and
otherwise the whole block is tried on moves alone with the time left.

How it compares with CP-SAT on moves alone over whole blocks: benchmarks/NOTES.md
("fewest moves").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from allocator.bounds.quick import (
    csm_removals,
    fewest_voluntary,
    kept_books,
    voluntary_moves,
)
from allocator.deadline import Deadline
from allocator.facts import Block, Facts
from allocator.model import build_model, run_cpsat
from allocator.parameters import SolveParams
from allocator.schema.plan import Owners, Plan
from allocator.search import improve


@dataclass(frozen=True)
class FewestMoves:
    """The pass's result for one block."""

    voluntary: int  # voluntary moves of `plan`
    fewest: int  # proven: every plan of the block makes at least this many
    plan: Plan  # owners of the block's accounts
    interrupted: bool = False

    @property
    def proven(self) -> bool:
        return self.voluntary <= self.fewest


def _kept_books(facts: Facts, block: Block) -> tuple[set[str], set[str]]:
    """CSMs whose kept book (current accounts that may stay) breaks a per-CSM rule, and
    CSMs whose kept book is under the band's floor."""
    books, _ = kept_books(facts, block.accounts)
    troubled: set[str] = set()
    under: set[str] = set()
    for csm_id in block.csms:
        book = books.get(csm_id, [])
        if csm_removals(facts, csm_id, book) > 0:
            troubled.add(csm_id)
        slack = facts.band_slack(csm_id)
        if (
            slack is not None
            and sum(facts.effort(a, csm_id) for a in book) < facts.balance_target[csm_id] - slack
        ):
            under.add(csm_id)
    return troubled, under


def narrowed_candidates(facts: Facts, block: Block, hint_plan: Plan) -> dict[str, list[str]]:
    """Candidate CSMs per account for the narrowed moves-only model (see the module doc)."""
    troubled, under = _kept_books(facts, block)
    forced = facts.eligibility.forced_move
    # Hard renewal windows can also make a kept book break a rule: any account may move then.
    anywhere = facts.renewal_limit_hard
    result: dict[str, list[str]] = {}
    for account_id in block.accounts:
        allowed = facts.eligibility.allowed[account_id]
        owner = facts.accounts[account_id].current_csm
        if (
            anywhere
            or owner is None
            or account_id in forced
            or owner in troubled
            or owner not in allowed
        ):
            continue  # every allowed CSM
        keep = {owner, hint_plan.get(account_id)} | under
        result[account_id] = [c for c in allowed if c in keep]
    return result


def _moves_only(
    facts: Facts,
    block: Block,
    start: Plan,
    deadline: Deadline,
    workers: int,
    seed: int,
    allowed: dict[str, list[str]] | None,
    move_cap: int | None,
) -> tuple[Owners | None, bool, bool]:
    """(owners, proven optimal for this model, interrupted) of a moves-only solve."""
    built = build_model(facts, block, allowed=allowed, move_cap=move_cap, objective=False)
    built.form.minimise_voluntary_moves()
    built.form.hint(start)
    run = run_cpsat(built.model, deadline.left(), workers, seed)
    solver = run.solver
    if solver is None or run.status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False, run.interrupted
    return built.form.owners(solver), run.status == cp_model.OPTIMAL, run.interrupted


def fewest_moves(
    facts: Facts,
    block: Block,
    start: Plan,
    deadline: Deadline,
    workers: int,
    seed: int,
    params: SolveParams,
) -> FewestMoves | None:
    """The plan with the fewest voluntary moves found for `block` by the deadline, or None
    when no plan obeying the rules was found. Ctrl-C before any plan was found raises
    KeyboardInterrupt again (after it, the result says `interrupted`).

    Narrowed models too big to presolve in the time are replaced by a moves-only
    neighbourhood search from the starting plan, when that plan obeys the rules.
    """
    fewest = fewest_voluntary(facts, block.accounts)
    policy_cap = facts.move_cap
    allowed = narrowed_candidates(facts, block, start)
    pairs = sum(len(allowed.get(a, facts.eligibility.allowed[a])) for a in block.accounts)
    # Constructed plans keep to allowed CSMs and families by construction, but may leave
    # an account without an owner.
    start_ok = all(
        start.get(a) is not None for a in block.accounts
    ) and not facts.checker.block_violations(start, block.accounts, block.csms)
    if pairs > params.narrow_model_limit and start_ok and policy_cap is None:
        searched = improve(
            facts,
            block,
            start,
            deadline,
            seed,
            capped=True,
            moves_only=True,
            group_size=params.group_size,
            step_seconds=params.step_seconds,
            stop_when=lambda plan: voluntary_moves(facts, block.accounts, plan) <= fewest,
        )
        return FewestMoves(
            voluntary_moves(facts, block.accounts, searched.plan),
            fewest,
            searched.plan,
            searched.stats.interrupted,
        )
    owners, _, interrupted = _moves_only(
        facts, block, start, deadline.share(params.narrow_share), workers, seed, allowed, policy_cap
    )
    best: FewestMoves | None = None
    if owners is not None:
        best = FewestMoves(
            voluntary_moves(facts, block.accounts, owners), fewest, owners, interrupted
        )
    if not interrupted and (best is None or not best.proven) and deadline.left() > 0.2:
        begin = best.plan if best is not None else start
        cap = (
            policy_cap
            if best is None
            else (best.voluntary if policy_cap is None else min(policy_cap, best.voluntary))
        )
        whole, optimal, interrupted = _moves_only(
            facts, block, begin, deadline, workers, seed, None, cap
        )
        if whole is not None:
            voluntary = voluntary_moves(facts, block.accounts, whole)
            if optimal:
                fewest = max(fewest, voluntary)
            if best is None or voluntary <= best.voluntary:
                best = FewestMoves(voluntary, fewest, whole, interrupted)
        if best is not None:
            best = replace(best, fewest=fewest, interrupted=interrupted)
    if best is None and start_ok:
        owners = {a: start.get(a) for a in block.accounts}
        voluntary = voluntary_moves(facts, block.accounts, owners)
        if policy_cap is None or voluntary <= policy_cap:
            best = FewestMoves(voluntary, fewest, owners, interrupted)
    if best is None and interrupted:
        raise KeyboardInterrupt
    return best
