"""The checker's own reading of an instance: segments, effort, eligibility and balance
targets, derived here in deliberately plain code.

Nothing here comes from the model's derived facts (`allocator.facts`): a bug in how the
model segments accounts, weighs effort or decides eligibility cannot hide behind the same
bug in the checker. A property test holds both readings to each other on generated
instances. Amounts are integer hundredths of an effort unit, as in the model.
"""

from __future__ import annotations

import datetime as dt
import math

from allocator.schema.instance import Account, Csm, Instance

HUNDREDTHS = 100

LEAVING = "leaving"
SEGMENT = "segment"
VERTICAL = "vertical"
SPECIALIST = "specialist"
REGION = "region"
FORBIDDEN = "forbidden pair"


def hundredths(value: float) -> int:
    return round(value * HUNDREDTHS)


def calendar_window(date: dt.date, window: str) -> str:
    """'2027-03' for a month, '2027-Q1' for a quarter."""
    if window == "month":
        return f"{date.year}-{date.month:02d}"
    return f"{date.year}-Q{(date.month - 1) // 3 + 1}"


class Reading:
    """What the checker reads off one instance at one plan date."""

    def __init__(self, instance: Instance, effective_date: dt.date):
        self.instance = instance
        self.policy = instance.policy
        self.effective_date = effective_date
        self.accounts: dict[str, Account] = {a.id: a for a in instance.accounts}
        self.csms: dict[str, Csm] = {c.id: c for c in instance.csms}
        self.pooled_segments = {s.name for s in self.policy.segments if s.pooled}
        tops: dict[str, Account] = {}
        self.segment: dict[str, str | None] = {
            a.id: self._segment(a, tops) for a in instance.accounts
        }
        self.forbidden = {(p.account, p.csm) for p in instance.pairs if not p.allowed}
        self.pair_effort = {
            (p.account, p.csm): hundredths(p.effort) for p in instance.pairs if p.effort is not None
        }
        self.pair_cost: dict[str, dict[str, int]] = {}
        for p in instance.pairs:
            if p.cost != 0:
                self.pair_cost.setdefault(p.account, {})[p.csm] = hundredths(p.cost)
        self.base_effort = {a.id: hundredths(self._effort(a)) for a in instance.accounts}
        self.capacity = {
            c.id: math.floor(c.capacity * c.ramp * HUNDREDTHS + 1e-9) for c in instance.csms
        }
        self.target = self._targets()
        self.windows: dict[str, str] = {}

    # --- accounts ------------------------------------------------------------------------
    def _own_segment(self, account: Account) -> str | None:
        if account.segment is not None:
            return account.segment
        if account.strategic and self.policy.strategic_segment is not None:
            return self.policy.strategic_segment
        for segment in self.policy.segments:
            if account.arr >= segment.min_arr and (
                segment.max_arr is None or account.arr < segment.max_arr
            ):
                return segment.name
        return None

    def _top(self, account: Account, tops: dict[str, Account]) -> Account:
        """The account's top ancestor; `tops` remembers every answer, so that a long
        parent chain is walked once, not once per account."""
        chain: list[str] = []
        seen = {account.id}
        while account.id not in tops and account.parent_id in self.accounts:
            if account.parent_id in seen:
                break
            chain.append(account.id)
            seen.add(account.parent_id)
            account = self.accounts[account.parent_id]
        top = tops.get(account.id, account)
        for account_id in chain:
            tops[account_id] = top
        return top

    def _segment(self, account: Account, tops: dict[str, Account]) -> str | None:
        """An explicit segment, then strategic, then the family's top account, then ARR."""
        inherits = (
            self.policy.families_share_segment
            and account.segment is None
            and not account.strategic
            and account.parent_id is not None
        )
        if inherits:
            return self._own_segment(self._top(account, tops))
        return self._own_segment(account)

    def pooled(self, account_id: str) -> bool:
        return self.segment[account_id] in self.pooled_segments

    def _effort(self, account: Account) -> float:
        if account.effort is not None:
            return account.effort
        segment = self.segment[account.id]
        base = 1.0
        for s in self.policy.segments:
            if s.name == segment:
                base = s.base_effort
        model = self.policy.effort
        health = 1.0
        if account.health is not None:
            for band in model.health_bands:
                if account.health < band.below:
                    health = band.multiplier
                    break
        return (
            base
            * model.lifecycle.get(account.lifecycle_stage or "", 1.0)
            * health
            * model.contract.get(account.contract or "", 1.0)
        )

    def effort(self, account_id: str, csm_id: str) -> int:
        """Effort (hundredths) of the account when this CSM owns it."""
        return self.pair_effort.get((account_id, csm_id), self.base_effort[account_id])

    def window(self, account_id: str) -> str:
        found = self.windows.get(account_id)
        if found is None:
            found = calendar_window(
                self.accounts[account_id].renewal_date, self.policy.renewal_spread.window
            )
            self.windows[account_id] = found
        return found

    def renewal_days(self, account_id: str) -> int:
        return (self.accounts[account_id].renewal_date - self.effective_date).days

    # --- who may own what --------------------------------------------------------------
    def barriers(self, account_id: str, csm_id: str) -> list[str]:
        """Why this CSM may not own the account (empty: it may)."""
        account, csm = self.accounts[account_id], self.csms[csm_id]
        spec = self.policy.specialization
        found = []
        if csm.leaving:
            found.append(LEAVING)
        if self.segment[account_id] not in csm.segments:
            found.append(SEGMENT)
        generalist = csm.generalist if csm.generalist is not None else not csm.verticals
        if account.vertical not in csm.verticals:
            if not generalist:
                found.append(VERTICAL)
            elif spec.hard and account.vertical in spec.verticals:
                found.append(SPECIALIST)
        if csm.regions and account.region not in csm.regions:
            found.append(REGION)
        if (account_id, csm_id) in self.forbidden:
            found.append(FORBIDDEN)
        return found

    def current_may_keep(self, account_id: str) -> bool:
        """The account has a current owner who may keep it: its moves are voluntary."""
        owner = self.accounts[account_id].current_csm
        return (
            owner is not None
            and owner in self.csms
            and not self.pooled(account_id)
            and not self.barriers(account_id, owner)
        )

    def cap(self, csm_id: str, segment: str) -> int | None:
        csm = self.csms[csm_id]
        if segment in csm.max_accounts:
            return csm.max_accounts[segment]
        for s in self.policy.segments:
            if s.name == segment:
                return s.max_accounts
        return None

    def min_book_arr(self, csm_id: str) -> int | None:
        """With cost/ARR enforced: the CSM's cost x ramp over its most lenient target."""
        csm = self.csms[csm_id]
        if not self.policy.cost_to_arr.enforce_per_csm or csm.annual_cost <= 0:
            return None
        targets = [
            s.cost_to_arr_target
            for s in self.policy.segments
            if s.name in csm.segments and not s.pooled
        ]
        if not targets:
            return None
        return math.ceil(csm.annual_cost * csm.ramp / max(targets) - 1e-9)

    # --- balance targets -----------------------------------------------------------------
    def _targets(self) -> dict[str, int]:
        """Each staying CSM's target effort: its pool's demand over supply, times its own
        capacity. A pool is the named segments linked by staying CSMs serving several."""
        named = [s.name for s in self.policy.segments if not s.pooled]
        staying = [c for c in self.instance.csms if not c.leaving]
        pool_of = {s: {s} for s in named}
        for csm in staying:
            served = [s for s in csm.segments if s in pool_of]
            merged = set().union(*(pool_of[s] for s in served)) if served else set()
            for s in merged:
                pool_of[s] = merged
        pools = {frozenset(p) for p in pool_of.values()}
        target: dict[str, int] = {}
        for pool in pools:
            members = [c for c in staying if any(s in pool for s in c.segments)]
            supply = sum(self.capacity[c.id] for c in members)
            if not members or supply <= 0:
                continue
            demand = sum(
                self.base_effort[a.id] for a in self.instance.accounts if self.segment[a.id] in pool
            )
            for c in members:
                target[c.id] = round(demand / supply * self.capacity[c.id])
        return target

    def tolerance(self, csm_id: str) -> int:
        """Deviation from the target that costs nothing (hundredths)."""
        return math.floor(self.policy.balance.tolerance * self.capacity[csm_id] + 1e-9)

    def band(self, csm_id: str) -> int | None:
        """How far effort may lie from the target under a hard band (hundredths)."""
        band = self.policy.balance.band
        if band is None or csm_id not in self.target:
            return None
        return math.floor(band * self.capacity[csm_id] + 1e-9)
