"""One module per business rule; each rule's `name` is what users see in reports."""

from __future__ import annotations

from allocator.model import Rule
from allocator.rules.balance import Balance
from allocator.rules.capacity import AccountCaps, EffortCapacity
from allocator.rules.continuity import MoveCap, Moves
from allocator.rules.cost_to_arr import MinBookArr
from allocator.rules.eligibility import DomainRules
from allocator.rules.families import FamiliesTogether
from allocator.rules.one_owner import OneOwner
from allocator.rules.preferences import PairCost, Specialization
from allocator.rules.renewals import RenewalSpread

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
