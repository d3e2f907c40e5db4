"""The fewest-moves pass (`policy.continuity.fewest_moves`): how few voluntary moves a
block's plan can make, before the block is solved on the other terms under that cap.

The pass solves a narrowed model on moves alone. Accounts that change owner anyway
(forced, unowned) and the accounts of CSMs whose kept book breaks a per-CSM rule (a cap,
capacity or the band's top) may go to any allowed CSM; every other account may only stay,
go where the constructed plan put it, or go to a CSM whose kept book is under the band's
floor. A plan of the narrowed model is a plan of the block; it is proven to make the
fewest moves when it meets the quick move bound (`quick_bound.fewest_voluntary`), and
otherwise the whole block is tried on moves alone with the time left.

On the M+5% rebalance (5% of bench-M changed) the narrowed big block has 6,871 pairs
against 92k and meets the bound (111 moves, all forced) in 0.6 s; CP-SAT on moves alone
over the whole blocks had 138 moves at 5 s, the usual pipeline 114 at 30 s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from allocator.search import neighbourhood as lns
from allocator.facts.blocks import Block
from allocator.checker.check import book_violations
from allocator.model.run import run_cpsat
from allocator.schema.instance import Instance
from allocator.model.context import Plan, build_model
from allocator.facts.derived import Facts
from allocator.bounds.quick import (
    csm_removals,
    fewest_voluntary,
    kept_books,
    voluntary_moves,
)
from allocator.model.rules.continuity import minimise_voluntary_moves

NARROW_SHARE = 0.6  # of the pass's time; the rest for the whole block when not proven
# Pairs; above, the pass is a moves-only neighbourhood search. From bench-M's current books
# a narrowed model of 8,200 pairs was proven in 2.8 s; one of 43,264 had no plan in 3 s.
NARROW_MODEL_LIMIT = 15_000


@dataclass
class FewestMoves:
    """The pass's result for one block."""

    voluntary: int  # voluntary moves of `plan`
    fewest: int  # proven: every plan of the block makes at least this many
    plan: dict[str, str | None]  # owners of the block's accounts
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
        if (slack is not None and sum(facts.effort(a, csm_id) for a in book)
                < facts.balance_target[csm_id] - slack):
            under.add(csm_id)
    return troubled, under


def narrowed_candidates(facts: Facts, block: Block, hint_plan: Plan) -> dict[str, list[str]]:
    """Candidate CSMs per account for the narrowed moves-only model (see the module doc)."""
    troubled, under = _kept_books(facts, block)
    forced = facts.eligibility.forced_move
    # Hard renewal windows can also make a kept book break a rule: any account may move then.
    spread = facts.instance.policy.renewal_spread
    anywhere = spread.hard and spread.max_per_window is not None
    result: dict[str, list[str]] = {}
    for account_id in block.accounts:
        allowed = facts.eligibility.allowed[account_id]
        owner = facts.accounts[account_id].current_csm
        if (anywhere or owner is None or account_id in forced or owner in troubled
                or owner not in allowed):
            continue  # every allowed CSM
        keep = {owner, hint_plan.get(account_id)} | under
        result[account_id] = [c for c in allowed if c in keep]
    return result


def _moves_only(facts: Facts, block: Block, hint_plan: Plan, time_limit: float,
                workers: int, seed: int, allowed: dict[str, list[str]] | None,
                move_cap: int | None) -> tuple[Plan | None, bool, bool]:
    """(owners, proven optimal for this model, interrupted) of a moves-only solve."""
    built = build_model(facts, block=block, allowed=allowed, move_cap=move_cap, terms=())
    minimise_voluntary_moves(built.ctx)
    built.ctx.hint(hint_plan)
    run = run_cpsat(built.ctx.model, time_limit, workers, seed)
    solver = run.solver
    if solver is None or run.status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False, run.interrupted
    owners: Plan = {}
    for (account_id, csm_id), var in built.ctx.x.items():
        if solver.boolean_value(var):
            owners[account_id] = csm_id
    return owners, run.status == cp_model.OPTIMAL, run.interrupted


def fewest_moves(facts: Facts, block: Block, hint_plan: Plan, time_limit: float,
                 workers: int, seed: int) -> FewestMoves | None:
    """The plan with the fewest voluntary moves found for `block` within `time_limit`, or
    None when no plan obeying the rules was found. Ctrl-C before any plan was found raises
    KeyboardInterrupt again (after it, the result says `interrupted`).

    Narrowed models too big to presolve in the time (43k pairs in bench-M's big block took
    over 3 s before a first plan) are replaced by a moves-only neighbourhood search from the
    constructed plan, when that plan obeys the rules.
    """
    deadline = time.monotonic() + time_limit
    fewest = fewest_voluntary(facts, block.accounts)
    policy_cap = facts.instance.policy.continuity.max_moves
    allowed = narrowed_candidates(facts, block, hint_plan)
    pairs = sum(len(allowed.get(a, facts.eligibility.allowed[a])) for a in block.accounts)
    # Constructed plans keep to allowed CSMs and families by construction, but may leave
    # an account without an owner.
    hint_ok = (all(hint_plan.get(a) is not None for a in block.accounts)
               and not book_violations(facts, hint_plan, list(block.accounts), list(block.csms)))
    if pairs > NARROW_MODEL_LIMIT and hint_ok and policy_cap is None:
        searched = {a: hint_plan.get(a) for a in block.accounts}
        stats = lns.improve(facts, block, searched, time_limit, seed, capped=True,
                            moves_only=True,
                            stop_when=lambda: voluntary_moves(facts, block.accounts,
                                                              searched) <= fewest)
        return FewestMoves(voluntary_moves(facts, block.accounts, searched), fewest, searched,
                           stats.interrupted)
    owners, _, interrupted = _moves_only(facts, block, hint_plan, time_limit * NARROW_SHARE,
                                         workers, seed, allowed, policy_cap)
    best: FewestMoves | None = None
    if owners is not None:
        best = FewestMoves(voluntary_moves(facts, block.accounts, owners), fewest, owners,
                           interrupted)
    left = deadline - time.monotonic()
    if not interrupted and (best is None or not best.proven) and left > 0.2:
        start = best.plan if best is not None else hint_plan
        cap = policy_cap if best is None else (
            best.voluntary if policy_cap is None else min(policy_cap, best.voluntary))
        whole, optimal, interrupted = _moves_only(facts, block, start, left, workers, seed,
                                                  None, cap)
        if whole is not None:
            voluntary = voluntary_moves(facts, block.accounts, whole)
            if optimal:
                fewest = max(fewest, voluntary)
            if best is None or voluntary <= best.voluntary:
                best = FewestMoves(voluntary, fewest, whole, interrupted)
        if best is not None:
            best.fewest = fewest
            best.interrupted = interrupted
    if best is None and hint_ok:
        owners = {a: hint_plan.get(a) for a in block.accounts}
        voluntary = voluntary_moves(facts, block.accounts, owners)
        if policy_cap is None or voluntary <= policy_cap:
            best = FewestMoves(voluntary, fewest, owners, interrupted)
    if best is None and interrupted:
        raise KeyboardInterrupt
    return best


def with_fewest_moves(instance: Instance) -> Instance:
    """`instance` with `policy.continuity.fewest_moves` switched on."""
    policy = instance.policy
    continuity = policy.continuity.model_copy(update={"fewest_moves": True})
    return instance.model_copy(
        update={"policy": policy.model_copy(update={"continuity": continuity})})
