"""The pandas API: instances from DataFrames in, DataFrames out."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from allocator import InputError, Policy, instance_from_frames
from tests.builders import EFFECTIVE, check_plan, run

ASSIGNMENT_COLUMNS = {
    "account",
    "account_name",
    "segment",
    "csm",
    "previous_csm",
    "moved",
    "forced",
    "pooled",
    "effort",
    "arr",
    "renewal_window",
}
CSM_COLUMNS = {
    "csm",
    "name",
    "pool",
    "balance_pool",
    "leaving",
    "accounts",
    "effort",
    "full_capacity",
    "ramp",
    "ramped_capacity",
    "utilisation",
    "target_effort",
    "arr",
    "annual_cost",
    "cost_to_arr",
    "moved_in",
    "new_accounts",
    "lost",
    "renewals_max_window",
}


def frames(date_kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    dates = ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31", "2026-02-15"]
    if date_kind == "timestamp":
        renewal: object = pd.to_datetime(dates)
    elif date_kind == "date":
        renewal = [dt.date.fromisoformat(d) for d in dates]
    else:
        renewal = dates
    accounts = pd.DataFrame(
        {
            "id": ["A1", "A2", "A3", "A4", "A5"],
            "name": ["Acme", "Bolt", "Core", "Dyna", "Echo"],
            "arr": [20_000, 90_000, 200_000, 400_000, 50_000],
            "renewal_date": renewal,
            "vertical": ["retail", "retail", "finance", "retail", "retail"],
            "current_csm": ["C1", None, "C2", np.nan, "C1"],
            "parent_id": [None, None, None, None, "A1"],
            "health": [80, np.nan, 35, 60, np.nan],
            "locked": [False, False, False, False, False],
        }
    )
    csms = pd.DataFrame(
        {
            "id": ["C1", "C2", "C3"],
            "name": ["Ann", "Ben", "Cy"],
            "segments": ["Scale", "Scale;Enterprise", " Enterprise ; Scale "],
            "verticals": ["", "finance", None],
            "regions": [None, None, None],
            "capacity": [10.0, 12.0, 8.0],
            "annual_cost": [100_000, 150_000, 120_000],
        }
    )
    return accounts, csms


POLICY = {"effective_date": EFFECTIVE.isoformat(), "strategic_segment": None}


@pytest.mark.parametrize("date_kind", ["string", "timestamp", "date"])
def test_frames_round_trip(date_kind):
    accounts, csms = frames(date_kind)
    instance = instance_from_frames(accounts, csms, policy=POLICY, name="frames")
    assert instance.name == "frames"
    assert instance.accounts[0].renewal_date == dt.date(2026, 3, 31)
    by_id = {c.id: c for c in instance.csms}
    assert by_id["C2"].segments == ["Scale", "Enterprise"]
    assert by_id["C3"].segments == ["Enterprise", "Scale"]
    assert by_id["C1"].verticals == []
    assert {a.id: a.current_csm for a in instance.accounts} == {
        "A1": "C1",
        "A2": None,
        "A3": "C2",
        "A4": None,
        "A5": "C1",
    }
    assert instance.accounts[1].health is None

    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert result.solution.violations == []
    assert check_plan(instance, result.owners).violations == []
    owners = result.owners
    assert owners["A3"] == "C2"  # the only finance specialist
    assert owners["A4"] in ("C2", "C3")  # Enterprise
    assert owners["A5"] == owners["A1"]  # family

    table = result.assignments
    assert isinstance(table, pd.DataFrame)
    assert set(table.columns) >= ASSIGNMENT_COLUMNS
    assert len(table) == 5
    assert sorted(table["account"]) == ["A1", "A2", "A3", "A4", "A5"]
    assert table.set_index("account").loc["A3", "segment"] == "Enterprise"
    assert table.set_index("account").loc["A1", "account_name"] == "Acme"
    assert table["renewal_window"].tolist()[:4] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]

    summary = result.csm_summary
    assert isinstance(summary, pd.DataFrame)
    assert set(summary.columns) >= CSM_COLUMNS
    assert len(summary) == 3
    assert sorted(summary["csm"]) == ["C1", "C2", "C3"]
    assert summary["accounts"].sum() == 5
    assert summary["effort"].sum() == pytest.approx(table["effort"].sum())
    assert summary["arr"].sum() == pytest.approx(accounts["arr"].sum())
    assert {c for c in summary.columns if c.startswith("accounts_")} <= {
        "accounts_Scale",
        "accounts_Enterprise",
    }
    assert not summary.filter(like="accounts_").isna().any().any()


def test_frames_with_pairs_and_policy_object():
    accounts, csms = frames("string")
    pairs = pd.DataFrame(
        {
            "account": ["A2", "A2"],
            "csm": ["C1", "C2"],
            "cost": [5.0, np.nan],
            "allowed": [True, False],
        }
    )
    policy = Policy(effective_date=EFFECTIVE, strategic_segment=None)
    instance = instance_from_frames(accounts, csms, pairs=pairs, policy=policy)
    assert len(instance.pairs) == 2
    assert instance.pairs[1].cost == 0.0  # missing cell -> default
    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert result.owners["A2"] == "C3"  # C1 costs 5, C2 is forbidden


def test_frames_report_problems_by_record():
    accounts, csms = frames("string")
    accounts.loc[1, "arr"] = -1
    csms.loc[2, "capacity"] = 0
    with pytest.raises(InputError) as info:
        instance_from_frames(accounts, csms, policy=POLICY)
    lines = info.value.lines()
    assert "<dataframes>: accounts[id=A2].arr: Input should be greater than or equal to 0" in lines
    assert any(line.startswith("<dataframes>: csms[id=C3].capacity:") for line in lines)


def test_empty_frames_solve_to_an_empty_plan():
    accounts, csms = frames("string")
    instance = instance_from_frames(accounts.iloc[:0], csms, policy=POLICY)
    result = run(instance)
    assert result.solution.status == "OPTIMAL"
    assert result.solution.objective == 0.0
    assert len(result.assignments) == 0
    assert len(result.csm_summary) == 3
