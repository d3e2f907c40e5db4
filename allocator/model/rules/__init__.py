"""One module per business rule, each named as users see it in reports and errors.

Each rule is written once against `allocator.model.form.Form`; the CP-SAT form
(`model/cpsat.py`) and the MathOpt form (`model/mathopt.py`) of the model are the same
rules. A new rule is a module here and one line in `RULES`.
"""

from __future__ import annotations

from allocator.model.form import Rule
from allocator.model.rules.account_caps import AccountCaps
from allocator.model.rules.balance import Balance
from allocator.model.rules.effort_capacity import EffortCapacity
from allocator.model.rules.eligibility import Eligibility
from allocator.model.rules.families_together import FamiliesTogether
from allocator.model.rules.locked_accounts import LockedAccounts
from allocator.model.rules.min_book_arr import MinBookArr
from allocator.model.rules.move_cap import MoveCap
from allocator.model.rules.moves import Moves
from allocator.model.rules.one_owner import OneOwner
from allocator.model.rules.pair_cost import PairCost
from allocator.model.rules.pooled_segments import PooledSegments
from allocator.model.rules.renewal_freeze import RenewalFreeze
from allocator.model.rules.renewal_spread import RenewalSpread
from allocator.model.rules.specialization import Specialization

RULES: tuple[Rule, ...] = (
    OneOwner(),
    Eligibility(),
    LockedAccounts(),
    RenewalFreeze(),
    PooledSegments(),
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
)
