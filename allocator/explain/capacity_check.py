"""Capacity pre-check, before any solver runs: does each pool have room for its accounts?

Accounts (and families, which need one owner) are grouped by the set of CSMs the rules allow
them. For a union of groups, every account must land on a CSM in the union of their sets, so
when that union's slots (account caps), effort capacity (x ramp, within the balance band) or
renewal slots (hard spread) are fewer than the groups' demand, no plan exists: Hall's
condition fails. Candidate unions are each group's own set and the pools eligibility defines
(segment x specialised vertical or generalist x region, and coarser). A few per-CSM and
per-family checks complete it. Every finding is a proof of infeasibility, never a guess.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from allocator.facts import UNITS, Facts

TIMES = "\u00d7"  # the multiplication sign, escaped so the source stays ASCII-unambiguous


@dataclass(frozen=True)
class Shortfall:
    """One proof that no plan exists, with numbers and ways out."""

    rule: str
    pool: str
    measure: str
    demand: float
    supply: float
    csms: tuple[str, ...]
    accounts: tuple[str, ...]
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass
class _Group:
    """Units (accounts, or whole families) that may go to exactly the CSMs in `mask`."""

    mask: int
    accounts: list[str] = field(default_factory=list)
    segments: Counter[str] = field(default_factory=Counter)
    windows: Counter[str] = field(default_factory=Counter)
    effort: int = 0


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _ids(ids: list[str] | tuple[str, ...], limit: int = 6) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _ways(ways: list[str]) -> str:
    ways = [w for w in ways if w]
    if not ways:
        return ""
    return " — " + (ways[0] if len(ways) == 1 else ", ".join(ways[:-1]) + ", or " + ways[-1])


class CapacityCheck:
    """The pre-check's state: CSM capacities as bitmask-indexed tables, and account groups."""

    def __init__(self, facts: Facts):
        self.facts = facts
        policy = facts.instance.policy
        self.csm_ids = list(facts.active_csms)
        self.index = {c: i for i, c in enumerate(self.csm_ids)}
        self.spread = policy.renewal_spread
        # Renewals per window each CSM may hold, when renewal_spread is a hard rule.
        self.window_limit = facts.renewal_limit if facts.renewal_limit_hard else None
        self.spec_hard = policy.specialization.hard
        self.specialised = set(policy.specialization.verticals)
        self.room: list[int] = []  # effective effort capacity: capacity x ramp, within band
        for c in self.csm_ids:
            self.room.append(max(facts.effort_ceiling(c), 0))
        self.pair_effort = {p.account for p in facts.instance.pairs if p.effort is not None}
        self._cache: dict[tuple[str, int], int | None] = {}

    # --- supply ---------------------------------------------------------------------
    def csms_in(self, mask: int) -> list[str]:
        return [self.csm_ids[i] for i in _bits(mask)]

    def slots(self, mask: int, segment: str) -> int | None:
        """Account slots of a segment over the CSMs in `mask` (None: some CSM has no cap)."""
        key = (segment, mask)
        if key not in self._cache:
            caps = [self.facts.account_cap(c, segment) for c in self.csms_in(mask)]
            self._cache[key] = None if None in caps else sum(c or 0 for c in caps)
        return self._cache[key]

    def capacity(self, mask: int) -> int:
        key = ("", mask)
        if key not in self._cache:
            self._cache[key] = sum(self.room[i] for i in _bits(mask))
        return self._cache[key] or 0

    # --- demand ---------------------------------------------------------------------
    def unit_effort(self, unit: list[str], mask: int) -> int:
        """Least effort the unit can cost on any one CSM it may go to (a valid lower bound)."""
        if not any(a in self.pair_effort for a in unit) or not mask:
            return sum(self.facts.default_effort(a) for a in unit)
        return min(sum(self.facts.effort(a, c) for a in unit) for c in self.csms_in(mask))

    def groups(self) -> tuple[list[_Group], list[list[str]]]:
        """Groups by allowed-CSM mask, and units that no single CSM may take whole."""
        facts = self.facts
        mask_of: dict[tuple[str, ...], int] = {}
        by_mask: dict[int, _Group] = {}
        homeless = []
        hard_windows = self.window_limit is not None
        for unit in facts.units:
            mask = -1
            for a in unit:
                key = tuple(facts.eligibility.allowed[a])
                if key not in mask_of:
                    mask_of[key] = sum(1 << self.index[c] for c in key if c in self.index)
                mask &= mask_of[key]
            if mask == 0:
                if len(unit) > 1 or facts.eligibility.allowed[unit[0]]:
                    homeless.append(unit)
                continue  # a lone account nobody may take is precheck.stranded_accounts'
            group = by_mask.setdefault(mask, _Group(mask))
            group.accounts.extend(unit)
            for a in unit:
                group.segments[str(facts.segment_of[a])] += 1
                if hard_windows:
                    group.windows[facts.window_of(a)] += 1
            group.effort += self.unit_effort(unit, mask)
        return list(by_mask.values()), homeless

    # --- naming ---------------------------------------------------------------------
    def vertical_class(self, account_id: str) -> str:
        vertical = self.facts.accounts[account_id].vertical
        return vertical if vertical in self.specialised and self.spec_hard else "generalist"

    def pool_name(self, accounts: list[str], csms: list[str]) -> str:
        facts = self.facts
        segments = sorted({str(facts.segment_of[a]) for a in accounts})
        classes = sorted({self.vertical_class(a) for a in accounts})
        regions = sorted({facts.accounts[a].region for a in accounts})
        parts = [" + ".join(segments) if len(segments) <= 3 else "several segments"]
        if len(classes) == 1:
            parts.append(classes[0])
        if len(regions) == 1 and regions[0] and all(facts.csms[c].regions for c in csms):
            parts.append(regions[0])
        pinned = self.pinned(accounts)
        if len(csms) == 1 and pinned == len(accounts):
            return f"accounts locked or frozen to {csms[0]}"
        return " / ".join(parts)

    def pinned(self, accounts: list[str]) -> int:
        eligibility = self.facts.eligibility
        return sum(1 for a in accounts if a in eligibility.locked or a in eligibility.frozen)

    def describe_csms(self, csms: list[str]) -> str:
        """'2 finance CSMs (C05, C09)'."""
        facts = self.facts
        specialisms = {facts.csms[c].specialism() for c in csms}
        regions = {tuple(facts.csms[c].regions) for c in csms}
        kind = ""
        if len(specialisms) == 1:
            kind = next(iter(specialisms))
        if len(regions) == 1 and next(iter(regions)):
            kind = (kind + " " if kind else "") + "/".join(next(iter(regions)))
        noun = "CSM" if len(csms) == 1 else "CSMs"
        return f"{len(csms)} {kind + ' ' if kind else ''}{noun} ({_ids(csms)})"

    def common_ways(self, accounts: list[str], csms: list[str]) -> list[str]:
        """Ways out that widen eligibility or loosen pins."""
        facts = self.facts
        ways = []
        classes = {self.vertical_class(a) for a in accounts}
        if len(classes) == 1 and (only := next(iter(classes))) != "generalist":
            ways.append(f"let generalists take {only} accounts (specialization.hard: false)")
        regions = {facts.accounts[a].region for a in accounts}
        if len(regions) == 1 and all(facts.csms[c].regions for c in csms):
            ways.append(f"let CSMs from other regions cover {next(iter(regions))}")
        locked = sum(1 for a in accounts if a in facts.eligibility.locked)
        frozen = sum(1 for a in accounts if a in facts.eligibility.frozen)
        if locked:
            ways.append(f"unlock some of the {locked} locked accounts")
        if frozen:
            ways.append(f"shorten the renewal freeze ({_plural(frozen, 'account')} frozen)")
        return ways


def _closures(check: CapacityCheck, groups: list[_Group]) -> list[list[int]]:
    """Distinct Hall sets: for each candidate CSM set, every group that fits inside it."""
    facts = check.facts
    candidates: set[int] = {g.mask for g in groups}
    labelled: dict[tuple[str, ...], int] = {}
    for g in groups:
        keys: set[tuple[str, ...]] = set()
        for a in g.accounts:
            seg, cls = str(facts.segment_of[a]), check.vertical_class(a)
            keys.update(((seg, cls, facts.accounts[a].region), (seg, cls), (seg,), (cls,), ()))
        for key in keys:
            labelled[key] = labelled.get(key, 0) | g.mask
    candidates.update(labelled.values())
    seen: set[tuple[int, ...]] = set()
    result = []
    for mask in sorted(candidates, key=lambda m: (m.bit_count(), m)):
        inside = tuple(i for i, g in enumerate(groups) if g.mask & ~mask == 0)
        if inside and inside not in seen:
            seen.add(inside)
            result.append(list(inside))
    return result


def _hall_shortfalls(check: CapacityCheck, groups: list[_Group]) -> list[Shortfall]:
    found: list[tuple[str, frozenset[int], int, Shortfall]] = []
    for inside in _closures(check, groups):
        members = [groups[i] for i in inside]
        for dimension, chosen, excess, shortfall in _violations(check, members):
            key = frozenset(inside[j] for j in chosen)
            if not _explained(found, dimension, key, excess):
                found.append((dimension, key, excess, shortfall))
    return [f[3] for f in found]


def _explained(
    found: list[tuple[str, frozenset[int], int, Shortfall]],
    dimension: str,
    key: frozenset[int],
    excess: int,
) -> bool:
    """A larger set adds nothing when disjoint smaller findings inside it already account for
    its whole excess (e.g. Global = Global/finance + Global/generalist)."""
    covered: set[int] = set()
    total = 0
    inside = [(e, k) for d, k, e, _ in found if d == dimension and k <= key]
    for e, k in sorted(inside, key=lambda item: -item[0]):
        if not k & covered:
            covered |= k
            total += e
    return total >= excess


def _violations(
    check: CapacityCheck, members: list[_Group]
) -> Iterator[tuple[str, list[int], int, Shortfall]]:
    """Dimensions (segment caps, effort, renewal windows) this Hall set over-fills."""
    segments = sorted({s for g in members for s in g.segments})
    for segment in segments:
        chosen = [i for i, g in enumerate(members) if g.segments[segment]]
        mask = _union(members, chosen)
        slots = check.slots(mask, segment)
        demand = sum(members[i].segments[segment] for i in chosen)
        if slots is not None and demand > slots:
            yield (
                f"cap:{segment}",
                chosen,
                demand - slots,
                _cap_shortfall(check, members, chosen, segment, demand, slots),
            )
    mask = _union(members, range(len(members)))
    demand = sum(g.effort for g in members)
    if demand > check.capacity(mask):
        yield (
            "effort",
            list(range(len(members))),
            demand - check.capacity(mask),
            _effort_shortfall(check, members, demand, check.capacity(mask)),
        )
    limit = check.window_limit
    if limit is not None:
        for window in sorted({w for g in members for w in g.windows}):
            chosen = [i for i, g in enumerate(members) if g.windows[window]]
            mask = _union(members, chosen)
            demand = sum(members[i].windows[window] for i in chosen)
            supply = mask.bit_count() * limit
            if demand > supply:
                yield (
                    f"window:{window}",
                    chosen,
                    demand - supply,
                    _window_shortfall(check, members, chosen, window, demand, supply),
                )


def _union(members: list[_Group], chosen: list[int] | range) -> int:
    mask = 0
    for i in chosen:
        mask |= members[i].mask
    return mask


def _accounts(members: list[_Group], chosen: list[int] | range) -> list[str]:
    return [a for i in chosen for a in members[i].accounts]


def _cap_shortfall(
    check: CapacityCheck,
    members: list[_Group],
    chosen: list[int],
    segment: str,
    demand: int,
    slots: int,
) -> Shortfall:
    facts = check.facts
    accounts = [a for a in _accounts(members, chosen) if facts.segment_of[a] == segment]
    csms = check.csms_in(_union(members, chosen))
    pool = check.pool_name(accounts, csms)
    caps = [facts.account_cap(c, segment) or 0 for c in csms]
    missing = demand - slots
    if len(set(caps)) == 1:
        cap = caps[0]
        supply = f"{check.describe_csms(csms)} {TIMES} {cap} = {_plural(slots, 'slot')}"
        whose = f"{csms[0]}'s" if len(csms) == 1 else "the"
        raise_cap = f"raise {whose} {segment} cap to {cap + math.ceil(missing / len(csms))}"
        add = (
            f"add {math.ceil(missing / cap) if cap else 1} more "
            f"{'CSM' if cap >= missing else 'CSMs'} like them"
        )
    else:
        supply = f"{check.describe_csms(csms)} with {_plural(slots, 'slot')} between them"
        raise_cap = f"raise their {segment} caps by {math.ceil(missing / len(csms))} each"
        add = "add a CSM like them"
    pinned = check.pinned(accounts)
    note = f" ({pinned} of them locked or frozen)" if 0 < pinned < len(accounts) else ""
    if pinned == len(accounts):
        add = ""  # a new CSM cannot take accounts pinned to this one
    text = f"account_caps: {pool}: {demand} {segment} accounts{note} but {supply}" + _ways(
        [add, raise_cap, *check.common_ways(accounts, csms)]
    )
    return Shortfall(
        "account_caps",
        pool,
        f"{segment} accounts",
        demand,
        slots,
        tuple(csms),
        tuple(accounts),
        text,
    )


def _effort_shortfall(
    check: CapacityCheck, members: list[_Group], demand: int, supply: int
) -> Shortfall:
    facts = check.facts
    chosen = range(len(members))
    accounts = _accounts(members, chosen)
    csms = check.csms_in(_union(members, chosen))
    pool = check.pool_name(accounts, csms)
    ramping = [c for c in csms if facts.csms[c].ramp < 1]
    detail = f"capacity {TIMES} ramp"
    if facts.instance.policy.balance.band is not None:
        detail += ", within the balance band"
    ways = [
        f"add a CSM like them (about {(demand - supply) / UNITS:.2f} more effort)",
        f"raise their capacities by {(demand - supply) / UNITS:.2f} in total",
    ]
    pinned = check.pinned(accounts)
    if pinned == len(accounts):
        ways = ways[1:]
    if ramping:
        ways.append(f"count on ramping CSMs sooner ({_ids(ramping)})")
    if facts.instance.policy.balance.band is not None:
        ways.append("widen the balance band")
    note = f" ({_plural(pinned, 'account')} locked or frozen)" if 0 < pinned < len(accounts) else ""
    text = (
        f"effort_capacity: {pool}: effort {demand / UNITS:.2f}{note} but "
        f"{check.describe_csms(csms)} can carry {supply / UNITS:.2f} ({detail})"
        + _ways([*ways, *check.common_ways(accounts, csms)])
    )
    return Shortfall(
        "effort_capacity",
        pool,
        "effort",
        demand / UNITS,
        supply / UNITS,
        tuple(csms),
        tuple(accounts),
        text,
    )


def _window_shortfall(
    check: CapacityCheck,
    members: list[_Group],
    chosen: list[int],
    window: str,
    demand: int,
    supply: int,
) -> Shortfall:
    facts = check.facts
    accounts = [a for a in _accounts(members, chosen) if facts.window_of(a) == window]
    csms = check.csms_in(_union(members, chosen))
    pool = check.pool_name(accounts, csms)
    limit = check.window_limit or 0
    text = (
        f"renewal_spread: {pool}: {demand} renewals in {window} but "
        f"{check.describe_csms(csms)} {TIMES} {limit} per {check.spread.window} = {supply}"
        + _ways(
            [
                f"raise renewal_spread.max_per_window to {math.ceil(demand / len(csms))}",
                "make the spread a penalty (renewal_spread.hard: false)",
                "add a CSM like them",
                *check.common_ways(accounts, csms),
            ]
        )
    )
    return Shortfall(
        "renewal_spread",
        pool,
        f"renewals in {window}",
        demand,
        supply,
        tuple(csms),
        tuple(accounts),
        text,
    )


def _unit_shortfalls(
    check: CapacityCheck, groups: list[_Group], homeless: list[list[str]]
) -> list[Shortfall]:
    """Families no single CSM may own, and units too big for every CSM they may go to."""
    facts = check.facts
    found = []
    for unit in homeless:
        per_member = "; ".join(f"{a}: {_allowed_text(facts, a)}" for a in unit[:4])
        text = (
            f"families_together: family of {unit[0]} ({_ids(unit)}) has no CSM that may "
            f"own every member ({per_member}) — align locks, regions or verticals, or "
            f"split the family (clear parent_id)"
        )
        found.append(
            Shortfall(
                "families_together",
                f"family of {unit[0]}",
                "eligible CSMs",
                len(unit),
                0,
                (),
                tuple(unit),
                text,
            )
        )
    for root, members in sorted(facts.families.items()):
        mask = _mask_of_unit(check, members)
        if not mask:
            continue
        reasons = _misfit(check, members, check.csms_in(mask))
        if all(reasons):
            text = (
                f"families_together: family of {root} ({_ids(members)}) must share one "
                f"owner but fits no CSM it may go to: "
                + "; ".join(reasons[:4])
                + (f"; and {len(reasons) - 4} more" if len(reasons) > 4 else "")
                + " — raise a cap or capacity, or split the family (clear parent_id)"
            )
            found.append(
                Shortfall(
                    "families_together",
                    f"family of {root}",
                    "one owner",
                    len(members),
                    0,
                    tuple(check.csms_in(mask)),
                    tuple(members),
                    text,
                )
            )
    in_family = {a for members in facts.families.values() for a in members}
    band_note = " (within the balance band)" if facts.instance.policy.balance.band else ""
    for g in groups:
        best = max((check.room[i] for i in _bits(g.mask)), default=0)
        for a in g.accounts:
            if a in in_family:
                continue
            if a not in check.pair_effort and facts.default_effort(a) <= best:
                continue  # the cheap test: it fits the roomiest CSM it may go to
            csms = check.csms_in(g.mask)
            if all(facts.effort(a, c) > check.room[check.index[c]] for c in csms):
                need = check.unit_effort([a], g.mask)
                text = (
                    f"effort_capacity: account {a} needs effort {need / UNITS:.2f} but "
                    f"its eligible CSMs ({_ids(csms)}) can carry at most "
                    f"{best / UNITS:.2f} each{band_note} — raise a capacity or lower the "
                    f"account's effort"
                )
                found.append(
                    Shortfall(
                        "effort_capacity",
                        f"account {a}",
                        "effort",
                        need / UNITS,
                        best / UNITS,
                        tuple(csms),
                        (a,),
                        text,
                    )
                )
    return found


def _allowed_text(facts: Facts, account_id: str) -> str:
    allowed = _ids(facts.eligibility.allowed[account_id], 3) or "nobody"
    if account_id in facts.eligibility.locked:
        return f"locked to {allowed}"
    if account_id in facts.eligibility.frozen:
        return f"frozen with {allowed}"
    return allowed


def _mask_of_unit(check: CapacityCheck, unit: list[str]) -> int:
    mask = -1
    for a in unit:
        mask &= sum(
            1 << check.index[c] for c in check.facts.eligibility.allowed[a] if c in check.index
        )
    return max(mask, 0)


def _misfit(check: CapacityCheck, unit: list[str], csms: list[str]) -> list[str]:
    """Why each CSM in `csms` cannot hold the whole unit on its own ('' when it can)."""
    facts = check.facts
    segments = sorted(Counter(str(facts.segment_of[a]) for a in unit).items())
    windows = sorted(Counter(facts.window_of(a) for a in unit).items())
    limit = check.window_limit
    reasons = []
    for csm_id in csms:
        reason = ""
        for segment, count in segments:
            cap = facts.account_cap(csm_id, segment)
            if cap is not None and count > cap:
                reason = f"{csm_id} may hold {cap} {segment} accounts, the family has {count}"
                break
        effort = sum(facts.effort(a, csm_id) for a in unit)
        room = check.room[check.index[csm_id]]
        if not reason and effort > room:
            reason = (
                f"{csm_id} can carry {room / UNITS:.2f} effort, the family needs "
                f"{effort / UNITS:.2f}"
            )
        if limit is not None and not reason:
            reason = next(
                (
                    f"{csm_id} may have {limit} renewals in {window}, the family has {count}"
                    for window, count in windows
                    if count > limit
                ),
                "",
            )
        reasons.append(reason)
    return reasons


def _floor_shortfalls(check: CapacityCheck) -> list[Shortfall]:
    """CSMs whose balance-band floor or minimum book ARR the accounts they may own miss."""
    facts = check.facts
    band = facts.instance.policy.balance.band
    enforce_arr = facts.instance.policy.cost_to_arr.enforce_per_csm
    if band is None and not enforce_arr:
        return []
    # Sum per distinct allowed set first: a few hundred sets instead of every pair.
    by_set: dict[tuple[str, ...], list[int]] = {}
    reach: Counter[str] = Counter()
    arr: Counter[str] = Counter()
    for a in facts.named_accounts:
        allowed = tuple(facts.eligibility.allowed[a])
        totals = by_set.setdefault(allowed, [0, 0])
        if a in check.pair_effort:
            for c in allowed:
                reach[c] += facts.effort(a, c)
        else:
            totals[0] += facts.default_effort(a)
        totals[1] += round(facts.accounts[a].arr)
    for allowed, (effort, book_arr) in by_set.items():
        for c in allowed:
            reach[c] += effort
            arr[c] += book_arr
    found = []
    for c in check.csm_ids:
        target = facts.balance_target.get(c)
        slack = facts.band_slack(c)
        if target is not None and slack is not None:
            floor = target - slack
            if reach[c] < floor:
                text = (
                    f"balance: {c} must carry at least {floor / UNITS:.2f} effort (balance "
                    f"band) but the accounts it may own total {reach[c] / UNITS:.2f} — "
                    f"widen the balance band or widen {c}'s segments, verticals or regions"
                )
                found.append(
                    Shortfall(
                        "balance",
                        c,
                        "effort floor",
                        floor / UNITS,
                        reach[c] / UNITS,
                        (c,),
                        (),
                        text,
                    )
                )
        minimum = facts.min_book_arr(c)
        if minimum is not None and arr[c] < minimum:
            text = (
                f"min_book_arr: {c}'s book must carry at least {minimum:,} ARR (cost/ARR "
                f"target) but the accounts it may own total {arr[c]:,} — relax "
                f"cost_to_arr.enforce_per_csm or widen what {c} may own"
            )
            found.append(Shortfall("min_book_arr", c, "book ARR", minimum, arr[c], (c,), (), text))
    return found


def _min_removals(check: CapacityCheck, csm_id: str, book: list[str]) -> tuple[int, str]:
    """Fewest accounts that must leave a CSM's current book for the rest to fit its caps,
    its effort room and its hard renewal windows (the largest of the three), and why."""
    facts = check.facts
    worst, why = 0, ""
    for segment, count in Counter(str(facts.segment_of[a]) for a in book).items():
        cap = facts.account_cap(csm_id, segment)
        if cap is not None and count - cap > worst:
            worst, why = count - cap, f"{count} {segment} accounts, cap {cap}"
    efforts = sorted((facts.effort(a, csm_id) for a in book), reverse=True)
    load, room, removed = sum(efforts), check.room[check.index[csm_id]], 0
    while load > room and removed < len(efforts):
        load -= efforts[removed]  # the largest first: the fewest removals
        removed += 1
    if removed > worst:
        worst, why = removed, (f"effort {sum(efforts) / UNITS:.2f}, room {room / UNITS:.2f}")
    limit = check.window_limit
    if limit is not None:
        for window, count in Counter(facts.window_of(a) for a in book).items():
            if count - limit > worst:
                worst, why = count - limit, f"{count} renewals in {window}, max {limit}"
    return worst, why


def _move_cap_shortfall(check: CapacityCheck) -> list[Shortfall]:
    """With a move cap: the voluntary moves every over-full current book forces."""
    facts = check.facts
    cap = facts.instance.policy.continuity.max_moves
    if cap is None:
        return []
    books: dict[str, list[str]] = {}
    for a in facts.named_accounts:
        owner = facts.accounts[a].current_csm
        if owner in check.index and a not in facts.eligibility.forced_move:
            books.setdefault(owner, []).append(a)
    needs = [(c, *_min_removals(check, c, book)) for c, book in sorted(books.items())]
    needs = [n for n in needs if n[1] > 0]
    total = sum(n[1] for n in needs)
    if total <= cap:
        return []
    shown = "; ".join(f"{c}: {n} ({why})" for c, n, why in needs[:5])
    more = f"; and {len(needs) - 5} more CSMs" if len(needs) > 5 else ""
    moves = _plural(total, "voluntary move")
    text = (
        f"move_cap: at least {moves} needed to bring current books within their limits "
        f"but max_moves is {cap} ({shown}{more}) — raise continuity.max_moves to {total}, "
        f"or raise those caps or capacities"
    )
    return [
        Shortfall(
            "move_cap",
            "plan",
            "voluntary moves",
            total,
            cap,
            tuple(c for c, _, _ in needs),
            (),
            text,
        )
    ]


def hall_sets(facts: Facts) -> list[tuple[list[str], list[str]]]:
    """(CSMs, accounts) of each candidate Hall set, fewest CSMs first: the pools this check
    compares, and the neighbourhoods where `explain` looks for a conflict first."""
    check = CapacityCheck(facts)
    groups, _ = check.groups()
    found = []
    for inside in _closures(check, groups):
        members = [groups[i] for i in inside]
        found.append(
            (
                check.csms_in(_union(members, range(len(members)))),
                _accounts(members, range(len(members))),
            )
        )
    return found


def capacity_check(facts: Facts) -> list[Shortfall]:
    """Every pool, family or CSM whose demand provably exceeds what the rules let it have."""
    check = CapacityCheck(facts)
    groups, homeless = check.groups()
    return (
        _unit_shortfalls(check, groups, homeless)
        + _hall_shortfalls(check, groups)
        + _floor_shortfalls(check)
        + _move_cap_shortfall(check)
    )
