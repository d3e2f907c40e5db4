"""A proven lower bound that needs no solver, for blocks too big to model whole.

Every term of the objective is non-negative except negative pair costs, so a block costs
at least its moves plus its negative pair costs. The moves are bounded from below by:

- forced moves (the current owner may not keep the account), and
- for each CSM, the fewest of its current accounts that must leave it: enough of the
  largest to bring its effort under its ceiling (capacity, and the balance band's top),
  and at least the summed excess over its account caps and, when the renewal spread is a hard
  rule, over each renewal window's limit.

Each account counts only at its current owner, so the per-CSM counts add up.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from allocator.facts import UNITS, Facts
from allocator.schema.plan import Plan


def fewest_to_remove(efforts: list[int], excess: int) -> int:
    """The fewest of `efforts` whose sum reaches `excess` (largest first)."""
    if excess <= 0:
        return 0
    removed = 0
    for count, effort in enumerate(sorted(efforts, reverse=True), start=1):
        removed += effort
        if removed >= excess:
            return count
    return len(efforts)  # cannot shed enough: the block is infeasible; any count is a bound


def voluntary_moves(facts: Facts, accounts: Iterable[str], plan: Plan) -> int:
    """Accounts whose current owner could keep them but `plan` moves."""
    forced = facts.eligibility.forced_move
    count = 0
    for account_id in accounts:
        owner = facts.accounts[account_id].current_csm
        if owner is not None and account_id not in forced and plan.get(account_id) != owner:
            count += 1
    return count


def csm_removals(facts: Facts, csm_id: str, held: list[str]) -> int:
    """The fewest of `held` (accounts `csm_id` owns and may keep) that must leave it: to
    get under its effort ceiling (capacity, the band's top), its account caps and, when the
    renewal spread is a hard rule, each renewal window's limit."""
    efforts = [facts.effort(a, csm_id) for a in held]
    need = fewest_to_remove(efforts, sum(efforts) - facts.effort_ceiling(csm_id))
    over_caps = 0  # segments hold disjoint accounts: their excesses add up
    for segment, count in Counter(str(facts.segment_of[a]) for a in held).items():
        cap = facts.account_cap(csm_id, segment)
        if cap is not None:
            over_caps += max(0, count - cap)
    need = max(need, over_caps)
    limit = facts.renewal_limit
    if facts.renewal_limit_hard and limit is not None:
        windows = Counter(facts.window_of(a) for a in held)
        need = max(need, sum(max(0, n - limit) for n in windows.values()))
    return need


def kept_books(facts: Facts, accounts: Iterable[str]) -> tuple[dict[str, list[str]], int]:
    """Per current owner, the accounts among `accounts` it may keep; and the forced moves."""
    forced = facts.eligibility.forced_move
    book: dict[str, list[str]] = defaultdict(list)
    moves = 0
    for account_id in accounts:
        owner = facts.accounts[account_id].current_csm
        if owner is None:
            continue
        if account_id in forced:
            moves += 1
        else:
            book[owner].append(account_id)
    return book, moves


def leaving_moves(facts: Facts, accounts: Iterable[str]) -> int:
    """Moves every plan makes among `accounts`: forced ones plus per-CSM removals."""
    book, moves = kept_books(facts, accounts)
    return moves + sum(csm_removals(facts, c, held) for c, held in book.items())


def fewest_voluntary(facts: Facts, accounts: Iterable[str]) -> int:
    """Voluntary moves every plan makes among `accounts` (the per-CSM removals)."""
    book, _ = kept_books(facts, accounts)
    return sum(csm_removals(facts, c, held) for c, held in book.items())


def negative_pair_costs(facts: Facts, accounts: Iterable[str]) -> float:
    """The most the pair costs of `accounts` can lower the objective (natural units, <= 0)."""
    negative = 0.0
    priced = {a for a, _ in facts.pair_cost}
    for account_id in (a for a in accounts if a in priced):
        costs = [
            facts.pair_cost.get((account_id, c), 0) for c in facts.eligibility.allowed[account_id]
        ]
        negative += min(0, min(costs, default=0)) / UNITS
    return negative


def quick_bound(facts: Facts, accounts: Iterable[str]) -> float:
    """A lower bound on the objective of the block holding `accounts`."""
    accounts = list(accounts)
    return facts.move_cost * leaving_moves(facts, accounts) + facts.weights[
        "pair_cost"
    ] * negative_pair_costs(facts, accounts)
