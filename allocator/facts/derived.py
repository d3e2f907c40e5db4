"""`Facts`: everything the model, the bounds and the search need, derived once from a
validated instance.

Effort and capacity are held in integer hundredths of an effort unit (`UNITS`): the model
and the checker both work in these units, so a plan that fits in one fits in the other.
The checker derives the same facts with its own code (`allocator.checker.reading`); a
property test holds the two to each other.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property

from allocator.checker import Checker
from allocator.facts.effort import effort_table
from allocator.facts.eligibility import Eligibility, compute_eligibility
from allocator.facts.segmentation import segment_accounts
from allocator.schema.instance import Account, Csm, Instance, Policy

UNITS = 100


def to_units(value: float) -> int:
    """An effort or capacity in integer hundredths."""
    return round(value * UNITS)


def renewal_window(date: dt.date, window: str) -> str:
    """The calendar window a renewal falls in: '2027-03' or '2027-Q1'."""
    if window == "month":
        return f"{date.year}-{date.month:02d}"
    return f"{date.year}-Q{(date.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Pool:
    """A balance pool: segments linked by the CSMs serving them, and those CSMs."""

    name: str
    segments: tuple[str, ...]
    csms: tuple[str, ...]
    utilisation: float


@dataclass
class Facts:
    """Derived, read-only views of an instance at a plan date."""

    instance: Instance
    effective_date: dt.date
    accounts: dict[str, Account] = field(init=False)
    csms: dict[str, Csm] = field(init=False)
    segment_of: dict[str, str | None] = field(init=False)
    eligibility: Eligibility = field(init=False)

    def __post_init__(self) -> None:
        self.accounts = {a.id: a for a in self.instance.accounts}
        self.csms = {c.id: c for c in self.instance.csms}
        self.segment_of = segment_accounts(self.instance)
        self.eligibility = compute_eligibility(self.instance, self.segment_of, self.effective_date)
        default, pair_effort = effort_table(self.instance, self.segment_of)
        self._default_effort = {a: to_units(e) for a, e in default.items()}
        self._pair_effort = {k: to_units(e) for k, e in pair_effort.items()}

    @cached_property
    def checker(self) -> Checker:
        """The independent checker of this instance and date: the one home of the
        objective, so that the search and the bounds score plans as reports do."""
        return Checker(self.instance, self.effective_date)

    @property
    def move_cost(self) -> float:
        """The objective of one move."""
        return self.checker.move_cost

    @cached_property
    def pooled_move_cost(self) -> float:
        """The objective of the moves pooling forces (owned accounts whose segment is
        pooled): the same in every plan, and outside every block."""
        pooled = [a.id for a in self.instance.accounts if self.is_pooled(a.id)]
        return self.checker.block_objective({}, pooled, [])

    @property
    def weights(self) -> dict[str, float]:
        """The objective's weight per term."""
        return self.checker.weights

    # --- the policy's rules, as the model reads them -------------------------------------
    @property
    def policy(self) -> Policy:
        return self.instance.policy

    @property
    def move_cap(self) -> int | None:
        """The cap on voluntary moves over the whole plan (move_cap), if any."""
        return self.instance.policy.continuity.max_moves

    @property
    def fewest_moves(self) -> bool:
        """Only the moves the rules need (policy.continuity.fewest_moves)."""
        return self.instance.policy.continuity.fewest_moves

    @property
    def renewal_limit(self) -> int | None:
        """Renewals per CSM per window above which renewal_spread applies, if set."""
        return self.instance.policy.renewal_spread.max_per_window

    @property
    def renewal_limit_hard(self) -> bool:
        """renewal_spread is a hard rule (else each excess renewal is penalised)."""
        return self.renewal_limit is not None and self.instance.policy.renewal_spread.hard

    @property
    def bunching_penalised(self) -> bool:
        """The objective term renewal_bunching applies."""
        return self.renewal_limit is not None and not self.instance.policy.renewal_spread.hard

    @cached_property
    def specialized_verticals(self) -> frozenset[str]:
        return frozenset(self.instance.policy.specialization.verticals)

    @property
    def specialization_hard(self) -> bool:
        return self.instance.policy.specialization.hard

    def off_specialism(self, account_id: str, csm_id: str) -> bool:
        """A specialised-vertical account with a CSM outside its vertical, where
        specialisation is a preference (the specialization term counts these)."""
        vertical = self.accounts[account_id].vertical
        return (
            not self.specialization_hard
            and vertical in self.specialized_verticals
            and vertical not in self.csms[csm_id].verticals
        )

    # --- accounts -----------------------------------------------------------------------
    @cached_property
    def pooled_segments(self) -> frozenset[str]:
        return frozenset(s.name for s in self.instance.policy.segments if s.pooled)

    def is_pooled(self, account_id: str) -> bool:
        return self.segment_of[account_id] in self.pooled_segments

    @cached_property
    def named_accounts(self) -> list[str]:
        """Accounts that need a named CSM, in instance order."""
        return [a.id for a in self.instance.accounts if not self.is_pooled(a.id)]

    def effort(self, account_id: str, csm_id: str) -> int:
        """Effort (hundredths) of an account when `csm_id` owns it."""
        return self._pair_effort.get((account_id, csm_id), self._default_effort[account_id])

    def default_effort(self, account_id: str) -> int:
        return self._default_effort[account_id]

    @cached_property
    def accounts_with_pair_effort(self) -> frozenset[str]:
        """Accounts whose effort depends on the CSM (a pair sets it)."""
        return frozenset(a for a, _ in self._pair_effort)

    def effort_range(self, account_id: str) -> tuple[int, int]:
        """Least and most effort of an account over the CSMs allowed to own it."""
        if account_id not in self.accounts_with_pair_effort:
            effort = self._default_effort[account_id]
            return effort, effort
        efforts = [self.effort(account_id, c) for c in self.eligibility.allowed[account_id]]
        return min(efforts, default=0), max(efforts, default=0)

    def window_of(self, account_id: str) -> str:
        return renewal_window(
            self.accounts[account_id].renewal_date, self.instance.policy.renewal_spread.window
        )

    @cached_property
    def pair_cost(self) -> dict[tuple[str, str], int]:
        """Pair cost in hundredths, only where non-zero."""
        return {
            (p.account, p.csm): round(p.cost * UNITS) for p in self.instance.pairs if p.cost != 0
        }

    @cached_property
    def families(self) -> dict[str, list[str]]:
        """Family id -> named accounts linked by parent links between named accounts.

        Only families of two or more; a pooled account breaks the chain, as it has no owner.
        """
        named = set(self.named_accounts)
        parent = {a: a for a in self.named_accounts}

        def find(a: str) -> str:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for account_id in self.named_accounts:
            up = self.accounts[account_id].parent_id
            if up is not None and up in named:
                parent[find(account_id)] = find(up)
        groups: dict[str, list[str]] = {}
        for account_id in self.named_accounts:
            groups.setdefault(find(account_id), []).append(account_id)
        return {members[0]: members for members in groups.values() if len(members) > 1}

    @cached_property
    def family_of(self) -> dict[str, str]:
        """Account -> its family's id, for accounts in a family."""
        return {a: root for root, members in self.families.items() for a in members}

    @cached_property
    def units(self) -> list[list[str]]:
        """Named accounts that must go to one owner together: each family as one unit, in
        instance order, every other account alone."""
        units: list[list[str]] = []
        for account_id in self.named_accounts:
            root = self.family_of.get(account_id)
            if root is None:
                units.append([account_id])
            elif root == account_id:
                units.append(list(self.families[root]))
        return units

    @cached_property
    def _arr_deciles(self) -> dict[str, int]:
        ranked = sorted(self.named_accounts, key=lambda a: (self.accounts[a].arr, a))
        count = max(len(ranked), 1)
        return {a: i * 10 // count for i, a in enumerate(ranked)}

    def keep_priority(self, account_id: str) -> int:
        """How much the current owner should keep an account when plans are otherwise
        equal (0-49): renewal within 90 / 120 / 180 / 365 days scores 40 / 30 / 20 / 10,
        plus the account's ARR decile (0-9). Among equally good plans, the solve moves
        accounts far from renewal first, then smaller ones."""
        days = (self.accounts[account_id].renewal_date - self.effective_date).days
        tier = next(
            (
                score
                for limit, score in ((90, 40), (120, 30), (180, 20), (365, 10))
                if 0 <= days <= limit
            ),
            0,
        )
        return tier + self._arr_deciles.get(account_id, 0)

    # --- CSMs ---------------------------------------------------------------------------
    @cached_property
    def active_csms(self) -> list[str]:
        return [c.id for c in self.instance.csms if not c.leaving]

    def capacity(self, csm_id: str) -> int:
        """Effective capacity (hundredths): capacity scaled by ramp."""
        csm = self.csms[csm_id]
        return math.floor(csm.capacity * csm.ramp * UNITS + 1e-9)

    def account_cap(self, csm_id: str, segment: str) -> int | None:
        """At most this many accounts of `segment` for the CSM (account_caps), if capped."""
        csm = self.csms[csm_id]
        if segment in csm.max_accounts:
            return csm.max_accounts[segment]
        return self.instance.policy.segment(segment).max_accounts

    def min_book_arr(self, csm_id: str) -> int | None:
        """Minimum book ARR from cost/ARR, when enforced: cost x ramp / most lenient target."""
        if not self.instance.policy.cost_to_arr.enforce_per_csm:
            return None
        csm = self.csms[csm_id]
        if csm.annual_cost <= 0:
            return None
        served = [
            self.instance.policy.segment(s) for s in csm.segments if s not in self.pooled_segments
        ]
        if not served:
            return None
        target = max(s.cost_to_arr_target for s in served)
        return math.ceil(csm.annual_cost * csm.ramp / target - 1e-9)

    # --- balance pools --------------------------------------------------------------------
    @cached_property
    def pools(self) -> list[Pool]:
        """Connected groups of named segments and the active CSMs serving them.

        Each pool's utilisation is its accounts' default effort over its CSMs' effective
        capacity; a CSM's balance target is that utilisation times its own capacity.
        """
        named_segments = [s.name for s in self.instance.policy.segments if not s.pooled]
        parent = {s: s for s in named_segments}

        def find(s: str) -> str:
            while parent[s] != s:
                parent[s] = parent[parent[s]]
                s = parent[s]
            return s

        for csm_id in self.active_csms:
            served = [s for s in self.csms[csm_id].segments if s in parent]
            for s in served[1:]:
                parent[find(s)] = find(served[0])
        groups: dict[str, list[str]] = {}
        for s in named_segments:
            groups.setdefault(find(s), []).append(s)
        demand: dict[str, int] = {}
        for account_id in self.named_accounts:
            seg = self.segment_of[account_id]
            if seg is not None:
                demand[find(seg)] = demand.get(find(seg), 0) + self._default_effort[account_id]
        pools = []
        for root, segs in groups.items():
            members = tuple(
                c for c in self.active_csms if any(s in segs for s in self.csms[c].segments)
            )
            supply = sum(self.capacity(c) for c in members)
            if not members or supply <= 0:
                continue
            pools.append(
                Pool(
                    name=" + ".join(segs),
                    segments=tuple(segs),
                    csms=members,
                    utilisation=demand.get(root, 0) / supply,
                )
            )
        return pools

    @cached_property
    def balance_target(self) -> dict[str, int]:
        """CSM id -> target effort (hundredths) under the balance rule."""
        return {
            c: round(pool.utilisation * self.capacity(c)) for pool in self.pools for c in pool.csms
        }

    def band_slack(self, csm_id: str) -> int | None:
        """How far (hundredths) a CSM's effort may lie from its target under the balance
        band; None without a band or a target."""
        band = self.instance.policy.balance.band
        if band is None or csm_id not in self.balance_target:
            return None
        return math.floor(band * self.capacity(csm_id) + 1e-9)

    def effort_ceiling(self, csm_id: str) -> int:
        """The most effort (hundredths) a CSM may carry: capacity, and the band's top."""
        slack = self.band_slack(csm_id)
        if slack is None:
            return self.capacity(csm_id)
        return min(self.capacity(csm_id), self.balance_target[csm_id] + slack)

    def balance_tolerance(self, csm_id: str) -> int:
        """Free deviation (hundredths) around a CSM's balance target."""
        tolerance = self.instance.policy.balance.tolerance
        return math.floor(tolerance * self.capacity(csm_id) + 1e-9)

    def balance_excess(self, csm_id: str, load: int) -> int:
        """The balance term's deviation for one CSM: distance outside the tolerance."""
        target = self.balance_target[csm_id]
        return max(0, abs(load - target) - self.balance_tolerance(csm_id))

    @cached_property
    def pool_of(self) -> dict[str, str]:
        return {c: pool.name for pool in self.pools for c in pool.csms}
