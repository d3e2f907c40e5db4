"""One block's share of the objective, recomputed from a plan without any solver.

Used to choose between starting plans and to report each block's objective, bound and gap.
"""

from __future__ import annotations

from collections import Counter

from allocator.blocks import Block
from allocator.prepared import UNITS, Prepared

Plan = dict[str, str | None]


def move_cost(data: Prepared) -> float:
    """The objective of one move, rounded to hundredths as the checker counts it."""
    policy = data.instance.policy
    return policy.weights.moves * round(policy.continuity.cost_per_move * UNITS) / UNITS


def pair_cost(data: Prepared, account_id: str, csm_id: str) -> float:
    """The objective an owner adds on its own: the move, the pair's cost, and a specialised
    account given to a CSM outside its vertical (when specialisation is a preference)."""
    policy = data.instance.policy
    weights = policy.weights
    account = data.accounts[account_id]
    moved = account.current_csm is not None and account.current_csm != csm_id
    off_vertical = (not policy.specialization.hard
                    and account.vertical in policy.specialization.verticals
                    and account.vertical not in data.csms[csm_id].verticals)
    return (move_cost(data) * moved
            + weights.pair_cost * data.pair_cost.get((account_id, csm_id), 0) / UNITS
            + weights.specialization * off_vertical)


def block_objective(data: Prepared, block: Block, plan: Plan) -> float:
    """The weighted objective of `plan` over one block's accounts and CSMs: the checker's
    terms, counted the same way, so the blocks' values and the pooled accounts' moves add
    up to the checker's objective (property-tested)."""
    policy = data.instance.policy
    load: Counter[str] = Counter()
    renewals: Counter[tuple[str, str]] = Counter()
    owned = 0.0
    for account_id in block.accounts:
        owner = plan.get(account_id)
        if owner is None:
            current = data.accounts[account_id].current_csm
            owned += move_cost(data) * (current is not None)
            continue
        load[owner] += data.effort(account_id, owner)
        renewals[(owner, data.window_of(account_id))] += 1
        owned += pair_cost(data, account_id, owner)
    balance = sum(data.balance_excess(c, load[c]) for c in block.csms
                  if c in data.balance_target)
    window_limit = policy.renewal_spread.max_per_window
    bunching = (0 if window_limit is None or policy.renewal_spread.hard
                else sum(max(0, n - window_limit) for n in renewals.values()))
    return (policy.weights.balance * balance / UNITS
            + policy.weights.renewal_bunching * bunching + owned)
