"""Why no plan fits: the capacity pre-check, the minimal core, the solve hook, `allocate explain`.

Each instance is infeasible in one way; the output must name that cause (rule, accounts, CSMs).
Cases the pre-check can see are also run through the core on its own, so both paths are tested.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from click.testing import CliRunner

from allocator.cli.main import main
from allocator.explain.capacity_check import capacity_check
from allocator.explain.core_search import infeasibility_cores
from allocator.explain.diagnose import diagnose, explain_infeasibility
from allocator.facts import Facts
from allocator.io.loading import load_instance
from allocator.schema.instance import Instance
from tests.builders import EFFECTIVE, account, csm, make_instance, raw_instance, run

NO_STRATEGIC: dict[str, Any] = {"strategic_segment": None}


def core_text(instance: Instance, force: dict[str, str] | None = None) -> list[str]:
    """The core path alone (no pre-check): every core's lines, all cores minimal."""
    from allocator.explain.diagnose import core_lines

    facts = Facts(instance, EFFECTIVE)
    verdict, cores = infeasibility_cores(facts, time_limit=10, pins=force)
    assert verdict == "INFEASIBLE"
    assert all(core.minimal for core in cores)
    return [line for core in cores for line in core_lines(facts, core, force)]


def joined(lines: list[str]) -> str:
    return "\n".join(lines)


# --- infeasible instances, one cause each ---------------------------------------------------
def finance_pool() -> Instance:
    """14 Global finance accounts, 2 finance specialists with the default cap of 6."""
    accounts = [
        account(f"F{i}", arr=900_000, vertical="finance", region=("NA", "EMEA")[i % 2])
        for i in range(14)
    ]
    accounts += [account(f"G{i}", arr=900_000, vertical="media", region="NA") for i in range(3)]
    csms = [
        csm("C1", segments=["Global"], verticals=["finance"], capacity=200),
        csm("C2", segments=["Global"], verticals=["finance"], capacity=200),
        csm("C3", segments=["Global"], regions=["NA"], capacity=200),
    ]
    return make_instance(accounts, csms)


def lock_to_leaver() -> Instance:
    return make_instance(
        [account("A17", current_csm="C03", locked=True), "A18"], [csm("C03", leaving=True), "C04"]
    )


def hard_window() -> Instance:
    """5 renewals in 2026-Q1, 2 CSMs, at most 2 each per quarter."""
    return make_instance(
        [account(f"A{i}", renewal_date="2026-02-10") for i in range(5)],
        ["C1", "C2"],
        policy={"renewal_spread": {"max_per_window": 2, "hard": True}},
    )


def big_family() -> Instance:
    """A parent and two children need 12 effort together; each CSM carries 10."""
    return make_instance(
        [
            account("P1", effort=4),
            account("P1-a", parent_id="P1", effort=4),
            account("P1-b", parent_id="P1", effort=4),
            account("X"),
        ],
        ["C1", "C2"],
    )


def test_too_few_slots_in_a_pool() -> None:
    lines = explain_infeasibility(finance_pool(), EFFECTIVE)
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("account_caps: Global / finance: 14 Global accounts")
    assert "2 finance CSMs (C1, C2)" in line and "12 slots" in line
    assert "raise the Global cap to 7" in line
    assert "let generalists take finance accounts" in line
    core = joined(core_text(finance_pool()))
    assert "account_caps: C1 may hold at most 6 Global accounts" in core
    assert "account_caps: C2 may hold at most 6 Global accounts" in core


def test_lock_against_a_leaver() -> None:
    lines = explain_infeasibility(lock_to_leaver(), EFFECTIVE)
    assert any(
        "locked_accounts" in line and "A17" in line and "C03" in line and "leaving" in line
        for line in lines
    )
    assert core_text(lock_to_leaver()) == [
        "locked_accounts: A17 is locked to C03",
        "leaver_takes_nothing: C03 is leaving",
    ]


def test_renewal_window_that_cannot_hold() -> None:
    line = joined(explain_infeasibility(hard_window(), EFFECTIVE))
    assert "renewal_spread" in line and "5 renewals in 2026-Q1" in line and "C1, C2" in line
    core = core_text(hard_window())
    assert "renewal_spread: C1 may have at most 2 renewals in 2026-Q1" in core
    assert "renewal_spread: C2 may have at most 2 renewals in 2026-Q1" in core


def test_family_too_big_for_any_csm() -> None:
    line = joined(explain_infeasibility(big_family(), EFFECTIVE))
    assert "families_together: family of P1 (P1, P1-a, P1-b)" in line
    assert "C1 can carry 10.00 effort, the family needs 12.00" in line
    core = core_text(big_family())
    assert "families_together: family of P1 (P1, P1-a, P1-b) must share one owner" in core
    assert sum(line.startswith("effort_capacity: C") for line in core) == 2


def test_family_with_no_common_csm() -> None:
    instance = make_instance(
        [
            account("P1", current_csm="C1", locked=True),
            account("P1-a", parent_id="P1", current_csm="C2", locked=True),
        ],
        ["C1", "C2"],
    )
    line = joined(explain_infeasibility(instance, EFFECTIVE))
    assert "families_together: family of P1 (P1, P1-a) has no CSM" in line
    assert "P1: locked to C1; P1-a: locked to C2" in line


def test_locked_accounts_over_their_owners_cap() -> None:
    instance = make_instance(
        [account(f"A{i}", current_csm="C1", locked=True) for i in range(5)],
        ["C1", "C2"],
        policy={"segments": [{"name": "Scale", "max_accounts": 4}], **NO_STRATEGIC},
    )
    line = joined(explain_infeasibility(instance, EFFECTIVE))
    assert "accounts locked or frozen to C1: 5 Scale accounts" in line
    assert "raise C1's Scale cap to 5" in line and "add" not in line


def test_effort_pool_with_ramping_csm() -> None:
    instance = make_instance(
        [account(f"A{i}", effort=3, region="EMEA") for i in range(8)],
        [
            csm("C1", regions=["EMEA"]),
            csm("C2", ramp=0.5, regions=["EMEA"]),
            csm("C3", regions=["NA"]),
        ],
    )
    line = joined(explain_infeasibility(instance, EFFECTIVE))
    assert "effort_capacity: Scale / generalist / EMEA: effort 24.00" in line
    assert "can carry 15.00" in line and "ramping CSMs sooner (C2)" in line


# --- conflicts only the core can see --------------------------------------------------------
def test_indivisible_efforts_need_the_core() -> None:
    instance = make_instance([account(f"A{i}", effort=6) for i in range(3)], ["C1", "C2"])
    assert capacity_check(Facts(instance, EFFECTIVE)) == []  # 18 <= 20, 6 <= 10
    diagnosis = diagnose(instance, EFFECTIVE, time_limit=10)
    assert diagnosis.status == "INFEASIBLE" and diagnosis.source == "core"
    assert diagnosis.lines[:2] == [
        "effort_capacity: C1 can carry at most 10.00 effort (capacity 10)",
        "effort_capacity: C2 can carry at most 10.00 effort (capacity 10)",
    ]
    assert "A0, A1, A2" in diagnosis.lines[2]


def test_cap_and_hard_window_together() -> None:
    """Each rule alone has room; C1's cap pushes three Q1 renewals onto C2."""
    instance = make_instance(
        [account(f"A{i}", renewal_date="2026-02-10") for i in range(4)],
        [csm("C1", max_accounts={"Scale": 1}), "C2"],
        policy={"renewal_spread": {"max_per_window": 2, "hard": True}},
    )
    lines = explain_infeasibility(instance, EFFECTIVE)
    assert "account_caps: C1 may hold at most 1 Scale accounts" in lines
    assert "renewal_spread: C2 may have at most 2 renewals in 2026-Q1" in lines


def test_family_that_fits_alone_but_not_with_the_rest() -> None:
    instance = make_instance(
        [
            account("P1", effort=4),
            account("P1-a", parent_id="P1", effort=4),
            account("B", effort=6),
            account("D", effort=5),
        ],
        ["C1", "C2"],
    )
    diagnosis = diagnose(instance, EFFECTIVE, time_limit=10)
    assert diagnosis.source == "core"
    assert "families_together: family of P1 (P1, P1-a) must share one owner" in diagnosis.lines
    assert diagnosis.cores[0].minimal and len(diagnosis.cores[0].guards) == 3


def test_frozen_renewals_against_a_hard_window() -> None:
    instance = make_instance(
        [
            account("A1", current_csm="C1", renewal_date="2026-01-10"),
            account("A2", current_csm="C1", renewal_date="2026-01-12"),
            account("A3"),
        ],
        ["C1", "C2"],
        policy={
            "continuity": {"freeze_days": 30},
            "renewal_spread": {"max_per_window": 1, "hard": True},
        },
    )
    core = joined(core_text(instance))
    assert "renewal_freeze: A1 renews on 2026-01-10" in core
    assert "renewal_freeze: A2 renews on 2026-01-12" in core
    assert "renewal_spread: C1 may have at most 1 renewal in 2026-Q1" in core


def test_move_cap_against_a_leavers_book() -> None:
    """C1 is full; L (no region) may only go to C1, and the cap forbids moving anyone out."""
    instance = make_instance(
        [account(f"A{i}", region="NA", current_csm="C1") for i in range(3)]
        + [account("L", current_csm="CL")],
        [csm("C1", capacity=3), csm("C2", capacity=3, regions=["NA"]), csm("CL", leaving=True)],
        policy={"continuity": {"max_moves": 0}},
    )
    diagnosis = diagnose(instance, EFFECTIVE, time_limit=10)
    assert diagnosis.source == "core"
    assert diagnosis.lines[:3] == [
        "leaver_takes_nothing: CL is leaving",
        "effort_capacity: C1 can carry at most 3.00 effort (capacity 3)",
        "move_cap: at most 0 voluntary moves in the plan",
    ]


# --- wiring ---------------------------------------------------------------------------------
def test_solve_fills_the_explanation() -> None:
    result = run(make_instance([account(f"A{i}", effort=6) for i in range(3)], ["C1", "C2"]))
    assert result.status == "INFEASIBLE"
    assert result.solution.explanation[0].startswith("effort_capacity: C1")
    result = run(finance_pool())
    assert result.status == "INFEASIBLE"
    assert "account_caps: Global / finance" in result.solution.explanation[0]


def test_solve_explains_an_impossible_pin() -> None:
    instance = make_instance(
        [account(f"A{i}", current_csm="C1") for i in range(4)] + ["B"],
        [csm("C1", capacity=3), csm("C2", capacity=3)],
    )
    result = run(instance, pins={f"A{i}": "C1" for i in range(4)})
    assert result.status == "INFEASIBLE"
    text = joined(result.solution.explanation)
    assert "pin: A0 pinned to C1 (what-if)" in text
    assert "effort_capacity: C1 can carry at most 3.00 effort" in text


def test_feasible_instance_has_no_explanation() -> None:
    instance = load_instance("instances/example.json")
    diagnosis = diagnose(instance, time_limit=20)
    assert diagnosis.status == "FEASIBLE" and diagnosis.lines == []


def test_precheck_is_fast_on_bench_m() -> None:
    instance = load_instance("instances/bench-M.json")
    facts = Facts(instance, EFFECTIVE)
    facts.balance_target  # noqa: B018  (derived once, as solve() would have)
    started = time.perf_counter()
    assert capacity_check(facts) == []
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("make", "code", "needle"),
    [
        (finance_pool, 3, "account_caps: Global / finance"),
        (big_family, 3, "families_together: family of P1"),
    ],
)
def test_explain_command_exits_3_naming_the_cause(
    tmp_path: Any, make: Any, code: int, needle: str
) -> None:
    instance: Instance = make()
    path = tmp_path / "instance.json"
    path.write_text(instance.model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(main, ["explain", str(path), "--time-limit", "10"])
    assert result.exit_code == code, result.output
    assert "no plan satisfies every rule" in result.output and needle in result.output


def test_explain_command_on_a_feasible_instance() -> None:
    result = CliRunner().invoke(main, ["explain", "instances/example.json"])
    assert result.exit_code == 0, result.output
    assert "a plan exists" in result.output


def test_explain_command_rejects_bad_input(tmp_path: Any) -> None:
    raw = raw_instance([account("A1", arr=-5)], ["C1"])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    result = CliRunner().invoke(main, ["explain", str(path)])
    assert result.exit_code == 2
    assert "accounts[id=A1].arr: Input should be greater than or equal to 0" in result.output
    assert "Traceback" not in result.output


def test_neighbourhoods_do_not_blame_a_band_floor() -> None:
    """C1's two locked accounts alone cannot reach its band floor, but the other NA
    accounts can; the real conflict is three EMEA accounts of effort 6 on C3 and C4.
    (C5, tiny and everywhere, makes it one block.)"""
    accounts = [account(f"L{i}", region="NA", current_csm="C1", locked=True) for i in range(2)]
    accounts += [account(f"N{i}", region="NA") for i in range(6)]
    accounts += [account(f"E{i}", region="EMEA", effort=6) for i in range(3)]
    instance = make_instance(
        accounts,
        [
            csm("C1", regions=["NA"]),
            csm("C2", regions=["NA"]),
            csm("C3", regions=["EMEA"]),
            csm("C4", regions=["EMEA"]),
            csm("C5", capacity=0.5),
        ],
        policy={"balance": {"band": 0.3}},
    )
    diagnosis = diagnose(instance, EFFECTIVE, time_limit=20, workers=2)
    assert diagnosis.source == "core"
    text = joined(diagnosis.lines)
    assert "floor" not in text and "C1" not in text
    assert "C3" in text and "C4" in text and "E0, E1, E2" in text


def test_move_cap_below_what_over_full_books_need() -> None:
    instance = make_instance(
        [account(f"A{i}", current_csm="C1") for i in range(6)],
        ["C1", "C2"],
        policy={
            "segments": [{"name": "Scale", "max_accounts": 4}],
            "continuity": {"max_moves": 1},
            **NO_STRATEGIC,
        },
    )
    line = joined(explain_infeasibility(instance, EFFECTIVE))
    assert line.startswith("move_cap: at least 2 voluntary moves needed")
    assert "C1: 2 (6 Scale accounts, cap 4)" in line and "max_moves is 1" in line
