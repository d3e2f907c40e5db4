"""One block's share of the objective, recomputed from a plan without any solver.

Used to choose between starting plans and to report each block's objective, bound and gap.
"""

from __future__ import annotations

from collections import Counter

from allocator.blocks import Block
from allocator.prepared import UNITS, Prepared

Plan = dict[str, str | None]


def block_objective(data: Prepared, block: Block, plan: Plan) -> float:
    """The weighted objective of `plan` over one block's accounts and CSMs: the checker's
    terms, counted the same way, so the blocks' values and the pooled accounts' moves add
    up to the checker's objective (property-tested)."""
    policy = data.instance.policy
    weights = policy.weights
    load: Counter[str] = Counter()
    renewals: Counter[tuple[str, str]] = Counter()
    moves = pair_cost = off_vertical = 0
    specialised = set(policy.specialization.verticals) if not policy.specialization.hard \
        else set()
    for account_id in block.accounts:
        owner = plan.get(account_id)
        account = data.accounts[account_id]
        moves += int(account.current_csm is not None and account.current_csm != owner)
        if owner is None:
            continue
        load[owner] += data.effort(account_id, owner)
        renewals[(owner, data.window_of(account_id))] += 1
        pair_cost += data.pair_cost.get((account_id, owner), 0)
        off_vertical += int(account.vertical in specialised
                            and account.vertical not in data.csms[owner].verticals)
    balance = sum(data.balance_excess(c, load[c]) for c in block.csms
                  if c in data.balance_target)
    window_limit = policy.renewal_spread.max_per_window
    bunching = (0 if window_limit is None or policy.renewal_spread.hard
                else sum(max(0, n - window_limit) for n in renewals.values()))
    return (weights.balance * balance / UNITS + weights.renewal_bunching * bunching
            + weights.moves * policy.continuity.cost_per_move * moves
            + weights.pair_cost * pair_cost / UNITS + weights.specialization * off_vertical)
