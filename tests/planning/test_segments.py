"""Segment design: per-segment figures under candidate thresholds and caps."""

from __future__ import annotations

from click.testing import CliRunner

from allocator.cli.main import main
from allocator.io import load_instance
from allocator.planning.segments import SegmentDesign, design_rows, parse_amount
from tests.builders import INSTANCES, account, csm, make_instance


def test_amounts_read_like_leaders_write_them() -> None:
    assert parse_amount("150k") == 150_000
    assert parse_amount("1.5M") == 1_500_000
    assert parse_amount("$250000") == 250_000


def test_thresholds_move_accounts_between_segments_and_count_the_csms_needed() -> None:
    book = make_instance(
        [account(f"S{i}", arr=50_000, current_csm="C1") for i in range(30)]
        + [account(f"E{i}", arr=200_000, current_csm="C2") for i in range(12)],
        [
            csm("C1", segments=["Scale"], capacity=40, annual_cost=100_000),
            csm("C2", segments=["Enterprise"], capacity=20, annual_cost=150_000),
        ],
        policy={
            "segments": [
                {"name": "Enterprise", "min_arr": 100_000, "max_accounts": 10},
                {"name": "Scale", "max_arr": 100_000, "max_accounts": 40},
            ],
            "strategic_segment": None,
        },
    )
    today = {r.segment: r for r in design_rows(book, SegmentDesign())}
    assert today["Enterprise"].accounts == 12 and today["Scale"].accounts == 30
    assert today["Enterprise"].csms_needed == 2 and today["Enterprise"].needed_by == "account cap"
    assert today["Enterprise"].cost_to_arr == round(2 * 150_000 / 2_400_000, 4)
    moved = {r.segment: r for r in design_rows(book, SegmentDesign((40_000.0,), {"Scale": 20}))}
    assert moved["Enterprise"].accounts == 42 and moved["Scale"].accounts == 0
    assert moved["Enterprise"].accounts_changing_segment == 30
    assert moved["Enterprise"].moves_at_least == 30  # C1 does not serve Enterprise
    assert moved["Enterprise"].csms_needed == 5


def test_the_segments_command_compares_designs_and_refuses_bad_ones(tmp_path: object) -> None:
    path = str(INSTANCES / "example.json")
    run = CliRunner().invoke(
        main, ["segments", path, "--thresholds", "100k,750k", "--thresholds", "250k,1M"]
    )
    assert run.exit_code == 0, run.output
    assert "thresholds 100k, 750k" in run.output and "thresholds 250k, 1M" in run.output
    example = load_instance(INSTANCES / "example.json")
    assert run.output.count("Enterprise") >= 3 and example.name in run.output
    bad = CliRunner().invoke(main, ["segments", path, "--thresholds", "100k,lots"])
    assert bad.exit_code == 2 and "'lots' is not an amount" in bad.output
    assert "Traceback" not in bad.output
    count = CliRunner().invoke(main, ["segments", path, "--thresholds", "100k"])
    assert count.exit_code == 2 and "need 2" in count.output
