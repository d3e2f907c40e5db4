"""Scenario files: a base instance and named variants of it, in YAML or JSON.

A variant overrides policy fields (ARR thresholds, account caps, weights, move cap,
balance band, renewal freeze), edits the roster (hire N like a CSM, a CSM leaves on a
date, a ramp), or changes accounts (an ARR uplift, a batch of new accounts). Every mistake
is reported at once, one line each, naming the file, the scenario and the field.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from allocator.facts.segmentation import segment_accounts
from allocator.io import load_instance, parse_json, read_text, validate
from allocator.planning.roster import hire_like, leave, set_ramp
from allocator.planning.segments import SegmentDesign, apply_design, parse_amount
from allocator.schema.errors import InputError, Problem
from allocator.schema.instance import Account, Instance, effective_date_of
from allocator.schema.limits import MAX_COUNT, MAX_SHARE, MAX_WEIGHT

MAX_SCENARIOS = 1000
MAX_TIME_LIMIT = 24 * 3600.0
PROBLEMS_SHOWN = 10
"""Problems of one scenario's instance listed before 'and N more'."""


def _amount(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("is not an amount")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return parse_amount(value)
    raise ValueError(f"{value!r} is not an amount (e.g. 150000, 150k, 1.5M)")


Amount = Annotated[float, BeforeValidator(_amount), Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PolicyChange(_Strict):
    """Policy fields a scenario may override."""

    thresholds: list[Amount] | None = Field(
        default=None, description="ARR thresholds between the segments, lowest first."
    )
    caps: dict[str, Annotated[int, Field(ge=0, le=MAX_COUNT)]] | None = Field(
        default=None, description="Accounts per CSM, by segment name."
    )
    weights: dict[str, Annotated[float, Field(ge=0, le=MAX_WEIGHT)]] | None = None
    max_moves: Annotated[int, Field(ge=0, le=MAX_COUNT)] | None = None
    unlimited_moves: bool = Field(default=False, description="Drop the policy's move cap.")
    band: Annotated[float, Field(ge=0, le=MAX_SHARE)] | None = None
    freeze_days: Annotated[int, Field(ge=0, le=3660)] | None = None
    cost_per_move: Annotated[float, Field(ge=0, le=MAX_WEIGHT)] | None = None


class Hire(_Strict):
    like: str = Field(description="CSM id to copy (segments, verticals, regions, capacity).")
    count: Annotated[int, Field(ge=1, le=MAX_COUNT)] = 1
    ramp: Annotated[float, Field(ge=0, le=1)] | None = None


class Leave(_Strict):
    csm: str
    date: dt.date | None = Field(
        default=None, description="Leaving date; on or before the plan date: gone."
    )


class Ramp(_Strict):
    csm: str
    share: Annotated[float, Field(ge=0, le=1)]


class RosterEdit(_Strict):
    """Exactly one of hire, leave, ramp."""

    hire: Hire | None = None
    leave: Leave | None = None
    ramp: Ramp | None = None


class NewAccounts(_Strict):
    """A batch of new accounts (no owner yet): copies of existing accounts of a segment,
    with new ids, drawn with a seed."""

    count: Annotated[int, Field(ge=1, le=100_000)]
    segment: str | None = None
    seed: int = 0


class AccountEdit(_Strict):
    """Exactly one of arr_uplift, new_accounts."""

    arr_uplift: Annotated[float, Field(gt=-1, le=100)] | None = Field(
        default=None, description="Relative ARR change, e.g. 0.05 for +5%."
    )
    segment: str | None = Field(default=None, description="Only this segment (arr_uplift).")
    new_accounts: NewAccounts | None = None


class Scenario(_Strict):
    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
    time_limit: Annotated[float, Field(gt=0, le=MAX_TIME_LIMIT)] | None = None
    policy: PolicyChange = Field(default_factory=PolicyChange)
    roster: list[RosterEdit] = Field(default_factory=list)
    accounts: list[AccountEdit] = Field(default_factory=list)


class SweepFile(_Strict):
    base: str = Field(description="The base instance, relative to the scenario file.")
    time_limit: Annotated[float, Field(gt=0, le=MAX_TIME_LIMIT)] = 30.0
    cpus_per_scenario: Annotated[int, Field(ge=1, le=256)] = 1
    seed: int = 0
    scenarios: list[Scenario] = Field(min_length=1, max_length=MAX_SCENARIOS)


class _Header(SweepFile):
    """The file with its scenarios unread: each is read on its own, so that the mistakes
    of every scenario are found in one pass."""

    scenarios: list[Any] = Field(min_length=1, max_length=MAX_SCENARIOS)


def read_scenarios(path: Path) -> tuple[SweepFile, list[tuple[Scenario, Instance]]]:
    """The file, and each scenario with its instance; an `InputError` listing every
    problem (one line each: file, scenario, field)."""
    text = read_text(path)
    try:
        data = _parse(path, text)
    except ValueError as error:
        raise InputError(str(path), [Problem("file", "", str(error))]) from None
    try:
        header = _Header.model_validate(data)
    except ValidationError as error:
        raise InputError(str(path), _problems(error, data)) from None
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    for index, raw in enumerate(header.scenarios):
        try:
            scenarios.append(Scenario.model_validate(raw))
        except ValidationError as error:
            problems += _problems(error, {"scenarios": {index: raw}}, index)
    names = [s.name for s in scenarios]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(f"scenarios[{name}]", "name", "used by more than one scenario"))
    base = load_instance((path.parent / header.base).resolve(), homeless_ok=True)
    built = []
    for scenario in scenarios:
        try:
            built.append((scenario, apply_scenario(base, scenario)))
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(str(path), problems)
    sweep = SweepFile(
        base=header.base,
        time_limit=header.time_limit,
        cpus_per_scenario=header.cpus_per_scenario,
        seed=header.seed,
        scenarios=scenarios,
    )
    return sweep, built


class _Loader(yaml.SafeLoader):
    """YAML without aliases: an alias bomb (a billion laughs) cannot blow up the sweep."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.YAMLError(f"line {mark.line + 1}: aliases (*name) are not allowed")
        return super().compose_node(parent, index)


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.load(text, Loader=_Loader)  # a SafeLoader: plain data only
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise ValueError(
                f"{where}not valid YAML ({getattr(error, 'problem', error)})"
            ) from None
    return parse_json(text, str(path))


def _problems(error: ValidationError, data: Any, index: int | None = None) -> list[Problem]:
    """One problem per pydantic error; `index`: the errors are of that scenario alone."""
    problems = []
    for item in error.errors():
        loc = list(item["loc"])
        if index is not None:
            loc = ["scenarios", index, *loc]
        record = "file"
        if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
            raw = data.get("scenarios", {}) if isinstance(data, dict) else {}
            entry = raw.get(loc[1]) if isinstance(raw, dict) else None
            name = entry.get("name") if isinstance(entry, dict) else None
            record = f"scenarios[{name}]" if isinstance(name, str) else f"scenarios[{loc[1]}]"
            loc = loc[2:]
        field = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc)
        field = field.replace(".[", "[")
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(Problem(record, field, message))
    return problems


def apply_scenario(base: Instance, scenario: Scenario) -> Instance:
    """The base instance with the scenario's changes, validated like any instance."""
    record = f"scenarios[{scenario.name}]"
    problems: list[Problem] = []
    instance = base.model_copy(update={"name": scenario.name})
    instance = _policy(instance, scenario.policy, record, problems)
    instance = _roster(instance, scenario.roster, record, problems)
    instance = _accounts(instance, scenario.accounts, record, problems)
    if problems:
        raise InputError(scenario.name, problems)
    try:
        instance = Instance.model_validate(instance.model_dump())
    except ValidationError as error:
        raise InputError(
            scenario.name,
            [Problem(record, ".".join(map(str, e["loc"])), e["msg"]) for e in error.errors()],
        ) from None
    found = validate(instance, homeless_ok=True)  # no owner for some: the solve says so
    if found:
        shown = [Problem(record, f"{p.record}.{p.field}".rstrip("."), p.message) for p in found]
        if len(shown) > PROBLEMS_SHOWN:
            more = len(shown) - PROBLEMS_SHOWN
            shown = [*shown[:PROBLEMS_SHOWN], Problem(record, "", f"and {more} more problems")]
        raise InputError(scenario.name, shown)
    return instance


def _policy(
    instance: Instance, change: PolicyChange, record: str, problems: list[Problem]
) -> Instance:
    if change.thresholds is not None or change.caps:
        design = SegmentDesign(tuple(change.thresholds or ()), dict(change.caps or {}))
        try:
            instance = apply_design(instance, design)
        except InputError as error:
            problems.extend(
                Problem(record, f"policy.{p.record}.{p.field}".rstrip("."), p.message)
                for p in error.problems
            )
    policy = instance.policy
    continuity: dict[str, object] = {}
    if change.max_moves is not None:
        continuity["max_moves"] = change.max_moves
    if change.unlimited_moves:
        continuity["max_moves"] = None
    if change.freeze_days is not None:
        continuity["freeze_days"] = change.freeze_days
    if change.cost_per_move is not None:
        continuity["cost_per_move"] = change.cost_per_move
    update: dict[str, object] = {"continuity": policy.continuity.model_copy(update=continuity)}
    if change.band is not None:
        update["balance"] = policy.balance.model_copy(update={"band": change.band})
    if change.weights:
        known = set(type(policy.weights).model_fields)
        for name in sorted(set(change.weights) - known):
            problems.append(
                Problem(
                    record,
                    f"policy.weights.{name}",
                    f"unknown weight (known: {', '.join(sorted(known))})",
                )
            )
        weights = {k: v for k, v in change.weights.items() if k in known}
        update["weights"] = policy.weights.model_copy(update=weights)
    return instance.model_copy(update={"policy": policy.model_copy(update=update)})


def _roster(
    instance: Instance, edits: list[RosterEdit], record: str, problems: list[Problem]
) -> Instance:
    plan_date = effective_date_of(instance)
    for index, edit in enumerate(edits):
        where = f"roster[{index}]"
        chosen = [k for k in ("hire", "leave", "ramp") if getattr(edit, k) is not None]
        if len(chosen) != 1:
            problems.append(Problem(record, where, "give exactly one of hire, leave, ramp"))
            continue
        ids = {c.id for c in instance.csms}
        if edit.hire is not None:
            if edit.hire.like not in ids:
                problems.append(
                    Problem(record, f"{where}.hire.like", f"unknown CSM {edit.hire.like!r}")
                )
                continue
            instance = hire_like(instance, edit.hire.like, edit.hire.count, edit.hire.ramp)
        elif edit.leave is not None:
            if edit.leave.csm not in ids:
                problems.append(
                    Problem(record, f"{where}.leave.csm", f"unknown CSM {edit.leave.csm!r}")
                )
                continue
            if edit.leave.date is None or edit.leave.date <= plan_date:
                instance = leave(instance, {edit.leave.csm})
        elif edit.ramp is not None:
            if edit.ramp.csm not in ids:
                problems.append(
                    Problem(record, f"{where}.ramp.csm", f"unknown CSM {edit.ramp.csm!r}")
                )
                continue
            instance = set_ramp(instance, edit.ramp.csm, edit.ramp.share)
    return instance


def _accounts(
    instance: Instance, edits: list[AccountEdit], record: str, problems: list[Problem]
) -> Instance:
    segments = {s.name for s in instance.policy.segments}
    for index, edit in enumerate(edits):
        where = f"accounts[{index}]"
        if (edit.arr_uplift is None) == (edit.new_accounts is None):
            problems.append(Problem(record, where, "give exactly one of arr_uplift, new_accounts"))
            continue
        segment = (
            edit.segment
            if edit.arr_uplift is not None
            else (edit.new_accounts.segment if edit.new_accounts is not None else None)
        )
        if segment is not None and segment not in segments:
            field = (
                f"{where}.segment"
                if edit.arr_uplift is not None
                else f"{where}.new_accounts.segment"
            )
            problems.append(Problem(record, field, f"unknown segment {segment!r}"))
            continue
        if edit.arr_uplift is not None:
            instance = _uplift(instance, edit.arr_uplift, segment)
        elif edit.new_accounts is not None:
            instance = _new_accounts(instance, edit.new_accounts, record, where, problems)
    return instance


def _uplift(instance: Instance, share: float, segment: str | None) -> Instance:
    of = segment_accounts(instance) if segment is not None else {}
    accounts = [
        a.model_copy(update={"arr": round(a.arr * (1 + share), 2)})
        if segment is None or of.get(a.id) == segment
        else a
        for a in instance.accounts
    ]
    return instance.model_copy(update={"accounts": accounts})


def _new_accounts(
    instance: Instance, batch: NewAccounts, record: str, where: str, problems: list[Problem]
) -> Instance:
    of = segment_accounts(instance)
    pool = [a for a in instance.accounts if batch.segment is None or of.get(a.id) == batch.segment]
    if not pool:
        problems.append(
            Problem(record, f"{where}.new_accounts", "no account to model the batch on")
        )
        return instance
    rng = random.Random(batch.seed)
    taken = {a.id for a in instance.accounts}
    added: list[Account] = []
    number = 0
    while len(added) < batch.count:
        number += 1
        new_id = f"NEW-{instance.name}-{number}"
        if new_id in taken:
            continue
        model = rng.choice(pool)
        added.append(
            model.model_copy(
                update={
                    "id": new_id,
                    "name": f"New account {number}",
                    "current_csm": None,
                    "parent_id": None,
                    "locked": False,
                    "lock_reason": "",
                    "lifecycle_stage": "onboarding",
                }
            )
        )
    return instance.model_copy(update={"accounts": [*instance.accounts, *added]})
