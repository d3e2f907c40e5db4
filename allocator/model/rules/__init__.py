"""One module per business rule; each rule's `name` is what users see in reports."""

from __future__ import annotations

from allocator.model.context import Rule
from allocator.model.rules.balance import Balance
from allocator.model.rules.capacity import AccountCaps, EffortCapacity
from allocator.model.rules.continuity import MoveCap, Moves
from allocator.model.rules.cost_to_arr import MinBookArr
from allocator.model.rules.eligibility import DomainRules
from allocator.model.rules.families import FamiliesTogether
from allocator.model.rules.one_owner import OneOwner
from allocator.model.rules.preferences import PairCost, Specialization
from allocator.model.rules.renewals import RenewalSpread

RULES: list[Rule] = [
    OneOwner(),
    DomainRules(),
    AccountCaps(),
    EffortCapacity(),
    RenewalSpread(),
    Balance(),
    Moves(),
    MoveCap(),
    FamiliesTogether(),
    MinBookArr(),
    PairCost(),
    Specialization(),
]

# Rules enforced by which variables exist rather than by a constraint.
DOMAIN_RULES = ["eligibility", "locked_accounts", "renewal_freeze", "pooled_segments"]
