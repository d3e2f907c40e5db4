"""What is tight: binding limits, what-if re-solves, and `allocate tight`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from allocator.analysis.tight import binding_limits, what_ifs
from allocator.cli.main import main
from allocator.schema.instance import Instance
from tests.builders import account, csm, make_instance, run


def capped() -> Instance:
    """C1 (NA only) holds 3 accounts at its cap of 3; C2 covers every region on capacity 3."""
    accounts = [account(f"N{i}", region="NA", current_csm="C1") for i in range(3)]
    accounts += [account(f"X{i}", region="NA", current_csm="C2") for i in range(2)]
    return make_instance(
        accounts,
        [csm("C1", regions=["NA"], max_accounts={"Scale": 3}), csm("C2", capacity=3)],
        policy={"continuity": {"cost_per_move": 0.1}},
    )


def test_binding_limits_name_caps_and_capacity() -> None:
    instance = capped()
    result = run(instance)
    assert result.status == "OPTIMAL"
    tight = binding_limits(instance, result.solution)
    rules = {(t.rule, t.csm, t.subject) for t in tight}
    assert ("account_caps", "C1", "Scale") in rules
    first = tight[0]
    assert first.room == 0 and first.text.startswith(f"{first.rule}: {first.csm}")


def test_one_more_slot_is_measured_by_two_optimal_solves() -> None:
    instance = capped()
    result = run(instance)
    tight = [t for t in binding_limits(instance, result.solution) if t.rule == "account_caps"]
    found = what_ifs(instance, result.solution, tight, top=1, time_limit=5, workers=1)
    slot = found[0]
    assert slot.change.startswith("one more Scale slot for C1 (cap 3 -> 4)")
    assert slot.baseline_optimal and slot.optimal and slot.delta is not None
    assert slot.delta <= 1e-9  # a looser cap can only help
    assert "both solves optimal: exact" in slot.text
    assert found[-1].change.startswith("one more CSM in Scale / generalist / NA")


def test_tight_command(tmp_path: Path) -> None:
    instance = capped()
    path = tmp_path / "instance.json"
    path.write_text(instance.model_dump_json(), encoding="utf-8")
    run(instance).write(tmp_path / "plan")
    plan = str(tmp_path / "plan/solution.json")
    output = CliRunner().invoke(
        main, ["tight", str(path), plan, "--time-limit", "2", "--workers", "1", "--top", "1"]
    )
    assert output.exit_code == 0, output.output
    assert "account_caps" in output.output and "one more Scale slot for C1" in output.output
    output = CliRunner().invoke(main, ["tight", str(path), plan, "--top", "0"])
    assert output.exit_code == 0 and "What relaxing" not in output.output
    output = CliRunner().invoke(main, ["tight", str(path), str(tmp_path / "missing.json")])
    assert output.exit_code == 2 and "Traceback" not in output.output
