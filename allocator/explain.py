"""Why no plan fits: the capacity pre-check first, then a minimal infeasibility core.

The core comes from the explain-mode model (`build_model(..., explain=True)`): every rule
instance — a CSM's cap, a lock, a leaver, a family — is switched by an assumption literal.
CP-SAT names a subset of assumptions that cannot all hold; a deletion filter then drops
one at a time while the rest stay infeasible, so every rule instance reported matters.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Literal

from ortools.sat.python import cp_model

from allocator.blocks import Block
from allocator.capacity_check import TIMES, capacity_check
from allocator.eligibility import structural_reasons
from allocator.instance import Instance
from allocator.model import ModelContext, Rule, build_model
from allocator.precheck import forced_conflicts, stranded_accounts
from allocator.prepared import UNITS, Prepared
from allocator.result import SolveResult

Verdict = Literal["INFEASIBLE", "FEASIBLE", "UNKNOWN"]
Guard = tuple[str, str]

# Rules that only add objective terms: a feasibility question does not need them.
_TERM_ONLY = {"balance", "moves", "pair_cost", "specialization"}
# Per-CSM limits; a leaver's are moot (leaver_takes_nothing already says it all).
_CSM_RULES = {"account_caps", "effort_capacity", "renewal_spread", "balance", "min_book_arr"}
_ORDER = ["force", "locked_accounts", "leaver_takes_nothing", "eligibility", "renewal_freeze",
          "families_together", "account_caps", "effort_capacity", "renewal_spread", "balance",
          "min_book_arr", "move_cap"]


@dataclass
class Core:
    """One block's minimal set of conflicting rule instances."""

    guards: list[Guard]
    first_size: int
    minimal: bool
    seconds: float


@dataclass
class Diagnosis:
    """The verdict, the plain-language lines, and where they came from."""

    status: Verdict
    lines: list[str]
    source: Literal["precheck", "core", "none"]
    cores: list[Core] = field(default_factory=list)
    seconds: float = 0.0


class _BalanceBand:
    """The hard balance band alone. The `balance` rule also bounds its deviation variables,
    which silently caps load without a guard; a core must see every limit as a guard."""

    name = "balance"

    def build(self, ctx: ModelContext) -> None:
        data = ctx.data
        band = data.instance.policy.balance.band
        if band is None:
            return
        for csm_id in ctx.csms:
            target = data.balance_target.get(csm_id)
            if target is None:
                continue
            pairs = ctx.by_csm.get(csm_id, [])
            load = cp_model.LinearExpr.weighted_sum([v for _, v in pairs],
                                                    [data.effort(a, csm_id) for a, _ in pairs])
            slack = math.floor(band * data.capacity(csm_id) + 1e-9)
            ctx.enforce(ctx.model.add(load <= target + slack), self.name, csm_id)
            ctx.enforce(ctx.model.add(load >= target - slack), self.name, csm_id)


def _feasibility_rules(data: Prepared) -> list[Rule]:
    from allocator.rules import RULES

    rules: list[Rule] = [r for r in RULES if r.name not in _TERM_ONLY]
    if not data.instance.policy.renewal_spread.hard:
        rules = [r for r in rules if r.name != "renewal_spread"]
    return [*rules, _BalanceBand()]


def explain_blocks(data: Prepared, force: dict[str, str] | None = None) -> list[Block]:
    """Independent blocks of the explain-mode model (smallest first).

    Wider than `find_blocks`: an account links to every structurally eligible CSM and to its
    current owner, leavers included, because explain mode gives it a variable for each.
    """
    csms = [c.id for c in data.instance.csms]
    if data.instance.policy.continuity.max_moves is not None:
        return [Block(tuple(data.named_accounts), tuple(csms))]
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for csm_id in csms:
        find("c:" + csm_id)
    for account_id in data.named_accounts:
        linked = list(data.eligibility.structural[account_id])
        linked += [c for c in (data.accounts[account_id].current_csm,
                               (force or {}).get(account_id)) if c is not None]
        for csm_id in linked:
            parent[find("a:" + account_id)] = find("c:" + csm_id)
        find("a:" + account_id)
    for members in data.families.values():
        for other in members[1:]:
            parent[find("a:" + other)] = find("a:" + members[0])
    accounts: dict[str, list[str]] = {}
    in_block: dict[str, list[str]] = {}
    for account_id in data.named_accounts:
        accounts.setdefault(find("a:" + account_id), []).append(account_id)
    for csm_id in csms:
        in_block.setdefault(find("c:" + csm_id), []).append(csm_id)
    roots = sorted(set(accounts) | set(in_block),
                   key=lambda r: (len(accounts.get(r, [])), len(in_block.get(r, [])), r))
    return [Block(tuple(accounts.get(r, [])), tuple(in_block.get(r, []))) for r in roots]


class _CoreSearch:
    """The explain-mode model of one block, re-solved under different assumption sets."""

    def __init__(self, data: Prepared, block: Block, force: dict[str, str] | None):
        built = build_model(data, rules=_feasibility_rules(data), block=block, explain=True)
        self.ctx = built.ctx
        self.model = self.ctx.model
        self.model.clear_objective()  # type: ignore[no-untyped-call]
        for account_id, csm_id in sorted((force or {}).items()):
            if account_id not in self.ctx.by_account:
                continue
            var = self.ctx.x.get((account_id, csm_id))
            literal = self.model.new_bool_var(f"guard[force:{account_id}]")
            self.ctx.guards[("force", account_id)] = literal
            if var is None:
                self.model.add_bool_or([]).only_enforce_if(literal)
            else:
                self.model.add(var == 1).only_enforce_if(literal)
        leavers = {c.id for c in data.instance.csms if c.leaving}
        self.guards = [key for key in self.ctx.guards
                       if not (key[0] in _CSM_RULES and _csm_of(data, key[1]) in leavers)]
        self.index = {self.ctx.guards[key].index: key for key in self.guards}

    def solve(self, guards: list[Guard], time_limit: float) -> tuple[Verdict, list[Guard]]:
        """Solve with these guards assumed true; on infeasibility, the guards CP-SAT blames."""
        self.model.clear_assumptions()
        self.model.add_assumptions([self.ctx.guards[key] for key in guards])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1  # cores from assumptions need the sequential search
        solver.parameters.max_time_in_seconds = max(0.05, time_limit)
        status = solver.solve(self.model)
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"CP-SAT rejected the explain model: {self.model.validate()}")
        if status == cp_model.INFEASIBLE:
            blamed = set(solver.sufficient_assumptions_for_infeasibility())
            return "INFEASIBLE", [k for k in guards if self.ctx.guards[k].index in blamed]
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return "FEASIBLE", []
        return "UNKNOWN", []


def _shrink(search: _CoreSearch, core: list[Guard], deadline: float) -> tuple[list[Guard], bool]:
    """Deletion filter: drop each guard whose removal leaves the rest infeasible."""
    needed: list[Guard] = []  # guards proven necessary stay necessary in every sub-core
    untested = list(core)
    minimal = True
    while untested:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return needed + untested, False
        candidate = untested.pop(0)
        trial = needed + untested
        verdict, blamed = search.solve(trial, max(0.5, remaining / (len(untested) + 1)))
        if verdict == "INFEASIBLE":
            kept = set(blamed)
            untested = [k for k in untested if k in kept]
        else:
            needed.append(candidate)
            minimal = minimal and verdict == "FEASIBLE"
    return needed, minimal


def infeasibility_cores(data: Prepared, time_limit: float = 30.0,
                        force: dict[str, str] | None = None) -> tuple[Verdict, list[Core]]:
    """Solve each explain-mode block; for each infeasible one, a minimal core."""
    deadline = time.monotonic() + time_limit
    cores: list[Core] = []
    undecided = False
    for block in explain_blocks(data, force):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            undecided = True
            break
        started = time.monotonic()
        search = _CoreSearch(data, block, force)
        verdict, blamed = search.solve(search.guards, remaining)
        if verdict == "UNKNOWN":
            undecided = True
        if verdict != "INFEASIBLE":
            continue
        # Shrinking gets at most half of what is left, so later blocks still get a look.
        shrink_deadline = time.monotonic() + (deadline - time.monotonic()) / 2
        guards, minimal = _shrink(search, blamed, shrink_deadline)
        cores.append(Core(guards, len(blamed), minimal, time.monotonic() - started))
    if cores:
        return "INFEASIBLE", cores
    return ("UNKNOWN" if undecided else "FEASIBLE"), cores


# --- plain language -----------------------------------------------------------------------
def _csm_of(data: Prepared, subject: str) -> str:
    """The CSM id a per-CSM guard subject ('C02 Enterprise', 'C04 2027-Q1', 'C01') starts
    with; the longest id wins, since ids may themselves contain spaces."""
    if subject in data.csms:
        return subject
    matches = [c for c in data.csms if subject.startswith(c + " ")]
    return max(matches, key=len, default="")


def _why_ineligible(data: Prepared, account_id: str, csm_id: str) -> str:
    account = data.accounts[account_id]
    policy = data.instance.policy
    reasons = structural_reasons(data.csms[csm_id], data.segment_of[account_id],
                                 account.vertical, account.region,
                                 frozenset(policy.specialization.verticals),
                                 policy.specialization.hard)
    words = {"segment_served": f"does not serve {data.segment_of[account_id]}",
             "vertical_specialization": f"may not take {account.vertical or 'unset'}-vertical "
                                        "accounts",
             "region": f"does not cover region {account.region or 'unset'}",
             "leaver_takes_nothing": "is leaving"}
    said = [words.get(r, r) for r in reasons] or ["is excluded by a pair rule (allowed: false)"]
    return " and ".join(said)


def describe(data: Prepared, rule: str, subject: str, force: dict[str, str] | None = None) -> str:
    """One rule instance in plain language, naming its accounts and CSMs."""
    policy = data.instance.policy
    csm_id = _csm_of(data, subject)
    rest = subject[len(csm_id):].strip()
    if rule == "locked_accounts":
        account = data.accounts[subject]
        why = f" ({account.lock_reason})" if account.lock_reason else ""
        return f"locked_accounts: {subject} is locked to {account.current_csm}{why}"
    if rule == "leaver_takes_nothing":
        return f"leaver_takes_nothing: {subject} is leaving"
    if rule == "eligibility":
        account_id, _, owner = subject.partition(" with ")
        return (f"eligibility: {account_id}'s current owner {owner} "
                f"{_why_ineligible(data, account_id, owner)}")
    if rule == "renewal_freeze":
        account = data.accounts[subject]
        days = (account.renewal_date - data.effective_date).days
        return (f"renewal_freeze: {subject} renews on {account.renewal_date} ({days} days "
                f"away, freeze {policy.continuity.freeze_days}), so it stays with "
                f"{account.current_csm}")
    if rule == "force":
        return f"force: {subject} pinned to {(force or {}).get(subject)} (what-if)"
    if rule == "families_together":
        members = data.families.get(subject, [subject])
        return (f"families_together: family of {subject} ({', '.join(members)}) must share "
                "one owner")
    if rule == "account_caps" and csm_id:
        return (f"account_caps: {csm_id} may hold at most {data.account_cap(csm_id, rest)} "
                f"{rest} accounts")
    if rule == "effort_capacity" and csm_id:
        csm = data.csms[csm_id]
        ramp = f" {TIMES} ramp {csm.ramp:g}" if csm.ramp < 1 else ""
        return (f"effort_capacity: {csm_id} can carry at most "
                f"{data.capacity(csm_id) / UNITS:.2f} effort (capacity {csm.capacity:g}{ramp})")
    if rule == "renewal_spread" and csm_id:
        limit = policy.renewal_spread.max_per_window
        return (f"renewal_spread: {csm_id} may have at most {limit} "
                f"renewal{'' if limit == 1 else 's'} in {rest}")
    if rule == "balance" and csm_id:
        band = policy.balance.band or 0.0
        target = data.balance_target.get(csm_id, 0)
        slack = math.floor(band * data.capacity(csm_id) + 1e-9)
        return (f"balance: {csm_id}'s effort must stay within {target / UNITS:.2f} ± "
                f"{slack / UNITS:.2f} (band {band:g} {TIMES} capacity)")
    if rule == "min_book_arr" and csm_id:
        return (f"min_book_arr: {csm_id}'s book must carry at least "
                f"{data.min_book_arr(csm_id) or 0:,} ARR (cost/ARR target)")
    if rule == "move_cap":
        return f"move_cap: at most {policy.continuity.max_moves} voluntary moves in the plan"
    return f"{rule}: {subject}"


def _context(data: Prepared, guards: list[Guard]) -> list[str]:
    """Which accounts the per-CSM limits in a core squeeze: those with nowhere else to go."""
    csms = {_csm_of(data, s) for r, s in guards if r in _CSM_RULES} - {""}
    if not csms:
        return []
    stuck = [a for a in data.named_accounts
             if data.eligibility.allowed[a] and set(data.eligibility.allowed[a]) <= csms]
    if not stuck:
        return []
    shown = ", ".join(stuck[:12]) + (f" and {len(stuck) - 12} more" if len(stuck) > 12 else "")
    noun = "account" if len(stuck) == 1 else "accounts"
    return [f"context: {len(stuck)} {noun} may only go to {', '.join(sorted(csms))} ({shown})"]


def core_lines(data: Prepared, core: Core, force: dict[str, str] | None = None) -> list[str]:
    ordered = sorted(core.guards, key=lambda g: (_ORDER.index(g[0]) if g[0] in _ORDER
                                                 else len(_ORDER), g[1]))
    lines = [describe(data, rule, subject, force) for rule, subject in ordered]
    lines += _context(data, core.guards)
    if not core.minimal:
        lines.append("note: time ran out before this set was narrowed to a minimal one")
    return lines


# --- entry points ---------------------------------------------------------------------------
def diagnose(instance: Instance, effective_date: dt.date | None = None,
             time_limit: float = 30.0, force: dict[str, str] | None = None,
             data: Prepared | None = None) -> Diagnosis:
    """Pre-check, then (only if it finds nothing) the core. FEASIBLE means a plan exists."""
    started = time.monotonic()
    if data is None:
        date = effective_date or instance.policy.effective_date or dt.date.today()
        data = Prepared(instance, date)
    found = stranded_accounts(data) + forced_conflicts(data, force or {})
    found += [str(s) for s in capacity_check(data)]
    if found:
        return Diagnosis("INFEASIBLE", found, "precheck", seconds=time.monotonic() - started)
    left = max(0.5, time_limit - (time.monotonic() - started))
    verdict, cores = infeasibility_cores(data, left, force)
    lines: list[str] = []
    for core in cores:
        lines += core_lines(data, core, force) if core.guards else [
            "CP-SAT proved that no plan exists but named no rule instance (the conflict is "
            "in one_owner alone: some account has no CSM it may go to)"]
    seconds = time.monotonic() - started
    if verdict == "UNKNOWN":
        lines = ["no conflict found within the time limit; the rules may still conflict"]
    return Diagnosis(verdict, lines, "core" if cores else "none", cores, seconds)


def explain_infeasibility(instance: Instance, effective_date: dt.date | None = None,
                          time_limit: float = 30.0,
                          force: dict[str, str] | None = None) -> list[str]:
    """Plain-language lines saying why no plan fits; empty when a plan exists."""
    diagnosis = diagnose(instance, effective_date, time_limit, force)
    return diagnosis.lines if diagnosis.status != "FEASIBLE" else []


def explain_if_infeasible(result: SolveResult, instance: Instance, effective_date: dt.date,
                          time_limit: float, force: dict[str, str] | None = None
                          ) -> SolveResult:
    """`result` with `solution.explanation` filled in when it is INFEASIBLE without one."""
    solution = result.solution
    if solution.status != "INFEASIBLE" or solution.explanation:
        return result
    lines = explain_infeasibility(instance, effective_date, time_limit, force)
    lines = lines or ["the solver proved no plan exists, but the explanation search found "
                      "a plan (please report this)"]
    return SolveResult(solution=solution.model_copy(update={"explanation": lines}),
                       report=result.report)
