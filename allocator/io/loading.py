"""Reading instances from JSON files or pandas DataFrames into validated `Instance`s."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from allocator.io.reading import read_json
from allocator.io.validation import validate
from allocator.schema.errors import InputError, Problem
from allocator.schema.instance import Account, Csm, Instance, Pair, Policy
from allocator.schema.solution import Solution

M = TypeVar("M", bound=BaseModel)


def _record_name(raw: Any, loc: tuple[int | str, ...]) -> tuple[str, str]:
    """('accounts', 3, 'arr') -> ('accounts[id=A-17]', 'arr'), using the raw record's id."""
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        kind, index = loc[0], loc[1]
        record = f"{kind}[{index}]"
        try:
            rid = raw[kind][index].get("id")
            if isinstance(rid, str) and rid:
                record = f"{kind}[id={rid}]"
        except (AttributeError, IndexError, KeyError, TypeError):
            pass
        return record, ".".join(str(p) for p in loc[2:])
    if loc:
        return str(loc[0]), ".".join(str(p) for p in loc[1:])
    return "instance", ""


def problems_from_validation_error(
    raw: Any, error: ValidationError, prefix: tuple[str, ...] = ()
) -> list[Problem]:
    problems = []
    for err in error.errors():
        record, fld = _record_name(raw, (*prefix, *err["loc"]))
        problems.append(Problem(record, fld, err["msg"]))
    return problems


def _parse_records(
    raw: dict[str, Any], problems: list[Problem], unparsed: dict[str, set[str]]
) -> dict[str, Any]:
    """Parse each record on its own so that one bad record hides no other problem.

    Ids of records that failed go to `unparsed`, so references to them are not reported
    a second time as unknown.
    """
    parsed: dict[str, Any] = {}
    kinds: dict[str, type[BaseModel]] = {"accounts": Account, "csms": Csm, "pairs": Pair}
    for key in raw:
        if key not in ("name", "policy", *kinds):
            problems.append(Problem("instance", key, "unknown field"))
    for kind, model in kinds.items():
        records = raw.get(kind, [] if kind == "pairs" else None)
        if not isinstance(records, list):
            problems.append(Problem("instance", kind, "expected a list of records"))
            continue
        good = []
        for index, record in enumerate(records):
            try:
                good.append(model.model_validate(record))
            except ValidationError as error:
                for err in error.errors():
                    name, fld = _record_name(raw, (kind, index, *err["loc"]))
                    rid = record.get("id") if isinstance(record, dict) else None
                    if isinstance(rid, str):
                        unparsed.setdefault(kind, set()).add(rid)
                    problems.append(Problem(name, fld, err["msg"]))
        parsed[kind] = good
    try:
        parsed["policy"] = Policy.model_validate(raw.get("policy", {}))
    except ValidationError as error:
        problems += problems_from_validation_error(raw, error, prefix=("policy",))
    if "name" in raw:
        if isinstance(raw["name"], str):
            parsed["name"] = raw["name"]
        else:
            problems.append(Problem("instance", "name", "expected a string"))
    return parsed


def instance_from_dict(raw: Any, source: str = "<data>", homeless_ok: bool = False) -> Instance:
    """Build and validate an instance; raise `InputError` listing every problem.
    `homeless_ok`: accounts no staying CSM may take are allowed (see `validate`)."""
    if not isinstance(raw, dict):
        raise InputError(source, [Problem("instance", "", "expected a JSON object at the top")])
    problems: list[Problem] = []
    unparsed: dict[str, set[str]] = {}
    parsed = _parse_records(raw, problems, unparsed)
    if any(key not in parsed for key in ("policy", "accounts", "csms")):
        raise InputError(source, problems)
    instance = Instance(**parsed)
    problems += validate(
        instance,
        unparsed_accounts=unparsed.get("accounts", set()),
        unparsed_csms=unparsed.get("csms", set()),
        homeless_ok=homeless_ok,
    )
    if problems:
        raise InputError(source, problems)
    return instance


def load_instance(path: str | Path, homeless_ok: bool = False) -> Instance:
    """Load and validate an instance JSON file (`homeless_ok`: see `validate`)."""
    return instance_from_dict(read_json(path), str(path), homeless_ok)


def _rows(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """DataFrame rows as dicts, dropping missing cells so field defaults apply."""
    if frame is None:
        return []
    rows = []
    for record in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in record.items():
            if isinstance(value, float) and math.isnan(value):
                continue
            if value is None or value is pd.NaT:
                continue
            if hasattr(value, "date") and isinstance(value, pd.Timestamp):
                value = value.date()
            clean[str(key)] = value
        rows.append(clean)
    return rows


LIST_COLUMNS = ("segments", "verticals", "regions")


def instance_from_frames(
    accounts: pd.DataFrame,
    csms: pd.DataFrame,
    pairs: pd.DataFrame | None = None,
    policy: Policy | dict[str, Any] | None = None,
    name: str = "instance",
) -> Instance:
    """Build an instance from DataFrames (one row per account / CSM / pair).

    CSM list columns (`segments`, `verticals`, `regions`) may hold lists or
    semicolon-separated strings.
    """
    csm_rows = _rows(csms)
    for row in csm_rows:
        for col in LIST_COLUMNS:
            if isinstance(row.get(col), str):
                row[col] = [v.strip() for v in row[col].split(";") if v.strip()]
    raw: dict[str, Any] = {
        "name": name,
        "accounts": _rows(accounts),
        "csms": csm_rows,
        "pairs": _rows(pairs),
    }
    if policy is not None:
        raw["policy"] = policy.model_dump() if isinstance(policy, Policy) else policy
    return instance_from_dict(raw, "<dataframes>")


def read_model(path: str | Path, model: type[M], prefix: tuple[str, ...] = ()) -> M:
    """A JSON file read as one pydantic record; each problem is named by its field, under
    `prefix` (the record's place in a larger file: `policy` for a policy file)."""
    raw = read_json(path)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        where = prefix or (() if isinstance(raw, dict) else (model.__name__.lower(),))
        raise InputError(str(path), problems_from_validation_error(raw, error, where)) from None


def load_solution(path: str | Path) -> Solution:
    """Load a solution file (solution.json)."""
    return read_model(path, Solution)
