"""One block's share of the objective, recomputed from a plan without any solver.

Used to choose between starting plans and to report each block's objective, bound and gap.
"""

from __future__ import annotations

from collections import Counter

from allocator.facts.blocks import Block
from allocator.facts.derived import UNITS, Facts

Plan = dict[str, str | None]


def move_cost(facts: Facts) -> float:
    """The objective of one move, rounded to hundredths as the checker counts it."""
    policy = facts.instance.policy
    return policy.weights.moves * round(policy.continuity.cost_per_move * UNITS) / UNITS


def pair_cost(facts: Facts, account_id: str, csm_id: str) -> float:
    """The objective an owner adds on its own: the move, the pair's cost, and a specialised
    account given to a CSM outside its vertical (when specialisation is a preference)."""
    policy = facts.instance.policy
    weights = policy.weights
    account = facts.accounts[account_id]
    moved = account.current_csm is not None and account.current_csm != csm_id
    off_vertical = (not policy.specialization.hard
                    and account.vertical in policy.specialization.verticals
                    and account.vertical not in facts.csms[csm_id].verticals)
    return (move_cost(facts) * moved
            + weights.pair_cost * facts.pair_cost.get((account_id, csm_id), 0) / UNITS
            + weights.specialization * off_vertical)


def block_objective(facts: Facts, block: Block, plan: Plan) -> float:
    """The weighted objective of `plan` over one block's accounts and CSMs: the checker's
    terms, counted the same way, so the blocks' values and the pooled accounts' moves add
    up to the checker's objective (property-tested)."""
    policy = facts.instance.policy
    load: Counter[str] = Counter()
    renewals: Counter[tuple[str, str]] = Counter()
    owned = 0.0
    for account_id in block.accounts:
        owner = plan.get(account_id)
        if owner is None:
            current = facts.accounts[account_id].current_csm
            owned += move_cost(facts) * (current is not None)
            continue
        load[owner] += facts.effort(account_id, owner)
        renewals[(owner, facts.window_of(account_id))] += 1
        owned += pair_cost(facts, account_id, owner)
    balance = sum(facts.balance_excess(c, load[c]) for c in block.csms
                  if c in facts.balance_target)
    window_limit = policy.renewal_spread.max_per_window
    bunching = (0 if window_limit is None or policy.renewal_spread.hard
                else sum(max(0, n - window_limit) for n in renewals.values()))
    return (policy.weights.balance * balance / UNITS
            + policy.weights.renewal_bunching * bunching + owned)
