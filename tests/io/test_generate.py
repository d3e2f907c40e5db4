"""The instance generator: deterministic, valid, realistic in shape, and feasible."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from allocator.facts import Facts
from allocator.facts.segmentation import segment_accounts
from allocator.io.generate import EFFECTIVE_DATE, generate_instance, instance_json, write_instance
from allocator.io.loading import instance_from_dict, load_instance
from allocator.pipeline import solve
from allocator.schema.instance import Instance
from tests.builders import INSTANCES


@pytest.fixture(scope="module")
def mid() -> Instance:
    """2,000 accounts at 15 per CSM: every account has a named owner (no pooled tier)."""
    return generate_instance(2000, 130, seed=4)


def test_same_seed_gives_the_same_json() -> None:
    assert instance_json(generate_instance(250, 16, seed=5)) == instance_json(
        generate_instance(250, 16, seed=5)
    )


def test_different_seeds_give_different_instances() -> None:
    assert instance_json(generate_instance(250, 16, seed=5)) != instance_json(
        generate_instance(250, 16, seed=6)
    )


def test_generated_instance_validates_and_round_trips(tmp_path: Path) -> None:
    instance = generate_instance(400, 25, seed=3, name="round-trip")
    assert instance.name == "round-trip"
    assert instance_from_dict(instance.model_dump(mode="json")) == instance
    path = write_instance(instance, tmp_path / "instance.json")
    assert load_instance(path) == instance


def test_policy_is_the_default_plus_generated_settings(mid: Instance) -> None:
    policy = mid.policy
    assert policy.effective_date == EFFECTIVE_DATE
    assert [s.name for s in policy.segments] == ["Global", "Enterprise", "Scale"]
    assert policy.specialization.hard and set(policy.specialization.verticals) == {
        "finance",
        "telco",
    }
    assert policy.renewal_spread.window == "quarter" and not policy.renewal_spread.hard
    assert policy.renewal_spread.max_per_window is not None
    assert policy.continuity.freeze_days == 30 and policy.continuity.cost_per_move == 2.0


def test_segment_shares_and_account_mix(mid: Instance) -> None:
    n = len(mid.accounts)
    shares = Counter(segment_accounts(mid).values())
    assert 0.03 <= shares["Global"] / n <= 0.05
    assert 0.17 <= shares["Enterprise"] / n <= 0.23
    assert shares["Scale"] == n - shares["Global"] - shares["Enterprise"]
    assert 0.015 <= sum(a.strategic for a in mid.accounts) / n <= 0.045
    stages = Counter(a.lifecycle_stage for a in mid.accounts)
    assert set(stages) == {"onboarding", "adoption", "steady", "at_risk"}
    assert 0.12 <= stages["onboarding"] / n <= 0.18
    verticals = Counter(a.vertical for a in mid.accounts)
    assert len(verticals) >= 6 and verticals["finance"] and verticals["telco"]
    assert len({a.region for a in mid.accounts}) >= 3
    assert 0.02 <= sum(a.current_csm is None for a in mid.accounts) / n <= 0.10
    arr = sorted(a.arr for a in mid.accounts)
    assert arr[-1] > 20 * arr[n // 2]  # heavy tail: the largest dwarfs the median


def test_renewals_fall_in_the_plan_year_and_bunch_at_quarter_ends(mid: Instance) -> None:
    dates = [a.renewal_date for a in mid.accounts]
    assert min(dates) >= EFFECTIVE_DATE and max(dates) <= dt.date(2027, 12, 31)
    quarter_end = sum(
        1 for d in dates if d.month % 3 == 0 and (d + dt.timedelta(days=5)).month != d.month
    )
    assert quarter_end / len(dates) > 0.08  # 20 of 365 days would give 5.5% if uniform


def test_families_are_small_and_placeable(mid: Instance) -> None:
    by_id = {a.id: a for a in mid.accounts}
    children: dict[str, list[str]] = defaultdict(list)
    for a in mid.accounts:
        if a.parent_id is not None:
            parent = by_id[a.parent_id]
            assert parent.parent_id is None
            assert (a.region, a.vertical) == (parent.region, parent.vertical)
            assert a.current_csm == parent.current_csm
            children[parent.id].append(a.id)
    assert 0.02 <= sum(map(len, children.values())) / len(mid.accounts) <= 0.06
    assert max(map(len, children.values())) <= 3


def test_staff_leavers_hires_specialists_and_uneven_books() -> None:
    instance = generate_instance(300, 20, seed=1)
    leavers = [c for c in instance.csms if c.leaving]
    hires = [c for c in instance.csms if c.ramp < 1]
    assert len(leavers) >= 1 and len(hires) >= 1
    assert all(c.ramp == 0.5 for c in hires)
    owners = Counter(a.current_csm for a in instance.accounts)
    assert all(owners[c.id] == 0 for c in hires)
    assert all(owners[c.id] > 0 for c in leavers)
    assert all(len(c.segments) == 1 and 120_000 <= c.annual_cost <= 180_000 for c in instance.csms)
    specialists = [c for c in instance.csms if c.verticals]
    assert {"finance", "telco"} <= {v for c in specialists for v in c.verticals}
    assert all(c.regions == [] for c in specialists)
    assert {s for c in instance.csms for s in c.segments} == {"Global", "Enterprise", "Scale"}

    facts = Facts(instance, EFFECTIVE_DATE)
    load: Counter[str] = Counter()
    for a in instance.accounts:
        if a.current_csm is not None:
            load[a.current_csm] += facts.default_effort(a.id)
    used = [
        load[c.id] / facts.capacity(c.id) for c in instance.csms if not c.leaving and c.ramp == 1
    ]
    assert max(used) > 1.5 * min(used)  # a year of churn leaves books uneven


def test_leavers_and_hires_from_ten_csms() -> None:
    instance = generate_instance(120, 10, seed=0)
    assert any(c.leaving for c in instance.csms)
    assert any(c.ramp < 1 for c in instance.csms)


def test_many_accounts_per_csm_adds_a_pooled_tech_touch_tier() -> None:
    instance = generate_instance(1000, 40, seed=3)
    pooled = [s for s in instance.policy.segments if s.pooled]
    assert [s.name for s in pooled] == ["Digital"]
    assert instance.policy.segment("Scale").min_arr == pooled[0].max_arr
    with pytest.raises(ValueError, match="cannot staff"):
        generate_instance(1000, 3, seed=3)


def test_small_generated_instance_solves_without_violations() -> None:
    instance = generate_instance(120, 10, seed=0)
    result = solve(instance, time_limit=10, workers=2, seed=0)
    assert result.solution.status in ("OPTIMAL", "FEASIBLE")
    assert result.solution.violations == []


@pytest.mark.parametrize(
    ("file", "call"),
    [
        ("example.json", (300, 20, 8, "example")),
        ("bench-S.json", (300, 20, 1, "bench-S")),
        ("bench-M.json", (5000, 200, 2, "bench-M")),
    ],
)
def test_committed_instances_match_their_readme_call(
    file: str, call: tuple[int, int, int, str]
) -> None:
    path = INSTANCES / file
    accounts, csms, seed, name = call
    assert path.read_text(encoding="utf-8") == instance_json(
        generate_instance(accounts, csms, seed, name=name)
    )
    assert path.stat().st_size < 3_000_000
