"""Importing CRM exports: every preset, clean and dirty, CSV and XLSX; precise errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from allocator.cli.main import main
from allocator.crm.importer import ImportOptions, import_accounts, import_files, import_frames
from allocator.crm.keys import keys_path, read_keys
from allocator.crm.values import parse_amount, parse_date, salesforce_id
from allocator.io.generate import generate_instance
from allocator.io.loading import load_instance
from allocator.schema.errors import InputError
from allocator.schema.instance import Instance
from tests.builders import INSTANCES
from tests.crm.fixtures import PRESETS, build_export, write_export, write_policy, write_rows

GAP = INSTANCES / "gap"


@pytest.fixture(scope="module")
def generated() -> Instance:
    return generate_instance(120, 10, seed=1)


@pytest.fixture(scope="module")
def policy_file(generated: Instance, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_policy(generated, tmp_path_factory.mktemp("policy") / "policy.json")


def _options(policy_file: Path, **extra: Any) -> ImportOptions:
    from allocator.crm.importer import read_policy

    return ImportOptions(policy=read_policy(policy_file), **extra)


def _errors(error: pytest.ExceptionInfo[InputError]) -> list[str]:
    return error.value.lines()


# --- values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("$1,200,000", 1_200_000),
        ("1.2M", 1_200_000),
        ("€ 30 000", 30_000),
        ("30.000,50 €", 30_000.5),
        ("USD 12k", 12_000),
        ("123.4k", 123_400),
        ("(5,000)", -5_000),
        ("1,5M", 1_500_000),
        (1200, 1200),
        ("£1,234.56", 1234.56),
    ],
)
def test_amounts(raw: Any, value: float) -> None:
    assert parse_amount(raw) == value


@pytest.mark.parametrize("raw", ["abc", "1,20,000", "12..5", "$"])
def test_bad_amounts(raw: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        parse_amount(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "2027-03-31",
        "03/31/2027",
        "31.03.2027",
        "31/03/2027",
        "46477",
        46477,
        dt.datetime(2027, 3, 31, 9, 30),
        "Mar 31, 2027",
        "2027-03-31T00:00:00Z",
    ],
)
def test_dates(raw: Any) -> None:
    assert parse_date(raw) == dt.date(2027, 3, 31)


def test_ambiguous_dates_follow_the_column_order() -> None:
    assert parse_date("04/05/2027") == dt.date(2027, 4, 5)
    assert parse_date("04/05/2027", day_first=True) == dt.date(2027, 5, 4)


def test_salesforce_ids_normalise_to_18_characters() -> None:
    assert salesforce_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert salesforce_id("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"
    assert salesforce_id("001A0000006VM9RIAC") == "001A0000006Vm9rIAC"  # case restored
    assert salesforce_id("not-an-id") == "not-an-id"


# --- presets ------------------------------------------------------------------------------


def _same_accounts(imported: Instance, generated: Instance, ids: dict[str, str]) -> None:
    by_id = {a.id: a for a in imported.accounts}
    assert set(by_id) == set(ids.values())
    for account in generated.accounts:
        got = by_id[ids[account.id]]
        assert got.arr == account.arr
        assert got.renewal_date == account.renewal_date
        assert (got.vertical, got.region) == (account.vertical, account.region)
        assert got.current_csm == account.current_csm
        assert got.parent_id == (ids[account.parent_id] if account.parent_id else None)
        assert (got.strategic, got.lifecycle_stage, got.health, got.contract) == (
            account.strategic,
            account.lifecycle_stage,
            account.health,
            account.contract,
        )
        assert (got.locked, got.lock_reason) == (account.locked, account.lock_reason)
    assert imported.csms == generated.csms
    assert imported.policy == generated.policy


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("preset", PRESETS)
def test_clean_export_imports_to_the_instance(
    preset: str, fmt: str, generated: Instance, policy_file: Path, tmp_path: Path
) -> None:
    export = build_export(generated, preset, xlsx=fmt == "xlsx")
    accounts, roster = write_export(export, tmp_path, fmt)
    imported = import_files(accounts, roster, preset, options=_options(policy_file))
    assert imported.warnings == []
    _same_accounts(imported.instance, generated, export.account_ids)
    assert imported.keys.preset == preset
    assert {
        c: (
            k.crm_id
            if preset == "salesforce"
            else k.email
            if preset in ("gainsight", "churnzero")
            else k.name
        )
        for c, k in imported.keys.csms.items()
    } == (export.owner_keys)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("preset", PRESETS)
def test_dirty_export_imports_with_warnings(
    preset: str, fmt: str, generated: Instance, policy_file: Path, tmp_path: Path
) -> None:
    export = build_export(generated, preset, dirty=True, xlsx=fmt == "xlsx")
    accounts, roster = write_export(export, tmp_path, fmt)
    imported = import_files(
        accounts, roster, preset, options=_options(policy_file, unknown_owner="new")
    )
    instance = imported.instance
    by_id = {a.id: a for a in instance.accounts}
    assert len(instance.accounts) == len(generated.accounts)  # the duplicate row dropped
    ids = export.account_ids
    assert by_id[ids[str(export.blank_owner)]].current_csm is None
    assert by_id[ids[str(export.unknown_owner)]].current_csm is None
    for account in generated.accounts:
        got = by_id[ids[account.id]]
        assert (got.arr, got.renewal_date) == (account.arr, account.renewal_date)
        if account.id not in (export.blank_owner, export.unknown_owner):
            assert got.current_csm == account.current_csm  # 15-char OwnerIds resolved too
        assert got.parent_id == (ids[account.parent_id] if account.parent_id else None)
    text = "\n".join(imported.warnings)
    assert "duplicate of row 7" in text and "identical" in text
    assert "row 4" in text and "treated as a new account" in text
    assert [c.ramp for c in instance.csms] == [c.ramp for c in generated.csms]


@pytest.mark.parametrize("preset", PRESETS)
def test_unknown_owner_is_reported_with_file_row_and_column(
    preset: str, generated: Instance, tmp_path: Path
) -> None:
    export = build_export(generated, preset, dirty=True)
    accounts, roster = write_export(export, tmp_path, "csv")
    with pytest.raises(InputError) as error:
        import_accounts(accounts, roster, preset)
    owner_column = {
        "salesforce": "OwnerId",
        "gainsight": "CSM",
        "churnzero": "OwnerUserAccount",
        "totango": "Success Manager",
    }[preset]
    assert _errors(error) == [
        f"{accounts}: row 4, column {owner_column}: owner "
        f"{export.accounts[2][owner_column]!r} is not an id, CRM id, email or name in "
        f"{roster} (or use --unknown-owner new)"
    ]


def _salesforce(generated: Instance, tmp_path: Path) -> tuple[list[dict[str, Any]], Path]:
    export = build_export(generated, "salesforce")
    _, roster = write_export(export, tmp_path, "csv")
    return export.accounts, roster


def test_every_bad_cell_is_reported_at_once(generated: Instance, tmp_path: Path) -> None:
    rows, roster = _salesforce(generated, tmp_path)
    rows[0]["ARR__c"] = "lots"
    rows[1]["Renewal_Date__c"] = "31/31/2027"
    rows[2]["Renewal_Date__c"] = ""
    rows[3]["Strategic__c"] = "maybe"
    rows[4]["Billing_Frequency__c"] = "Weekly"
    rows[5]["BillingCountry"] = "Atlantis"
    path = write_rows(rows, tmp_path / "bad.csv", "csv")
    with pytest.raises(InputError) as error:
        import_accounts(path, roster, "salesforce")
    assert _errors(error) == [
        f"{path}: row 2, column ARR__c: cannot read amount 'lots'",
        f"{path}: row 3, column Renewal_Date__c: no such date '31/31/2027'",
        f"{path}: row 4, column Renewal_Date__c: blank renewal date",
        f"{path}: row 5, column Strategic__c: expected yes/no or true/false, got 'maybe'",
        f"{path}: row 6, column Billing_Frequency__c: unknown value 'Weekly'; add it to the "
        "mapping's values.contract",
        f"{path}: row 7, column BillingCountry: unknown value 'Atlantis'; add it to the "
        "mapping's values.region",
    ]


def test_conflicting_duplicate_is_an_error(generated: Instance, tmp_path: Path) -> None:
    rows, roster = _salesforce(generated, tmp_path)
    rows.append({**rows[2], "ARR__c": "999999"})
    path = write_rows(rows, tmp_path / "dupes.xlsx", "xlsx")
    with pytest.raises(InputError) as error:
        import_accounts(path, roster, "salesforce")
    assert _errors(error) == [
        f"{path}: row {len(rows) + 1}, column ARR__c: account {rows[2]['Id']} is also on "
        f"row 4 with a different arr ({float(rows[2]['ARR__c']):,.0f} vs 999,999)"
    ]


def test_missing_columns_name_the_header_row(generated: Instance, tmp_path: Path) -> None:
    rows, roster = _salesforce(generated, tmp_path)
    for row in rows:
        del row["ARR__c"], row["AnnualRevenue"]
    path = write_rows(rows, tmp_path / "noarr.csv", "csv")
    with pytest.raises(InputError) as error:
        import_accounts(path, roster, "salesforce")
    assert _errors(error) == [
        f"{path}: row 1: no arr column (looked for ARR__c, Annual_Recurring_Revenue__c, "
        "Total_ARR__c, ARR, AnnualRevenue)"
    ]


def test_roster_and_validation_problems_point_at_their_files(
    generated: Instance, tmp_path: Path
) -> None:
    export = build_export(generated, "totango")
    export.roster[1]["capacity"] = "plenty"
    export.roster[2]["segments"] = "Galactic"
    export.accounts[0]["Lifecycle Stage"] = "Zombie"
    accounts, roster = write_export(export, tmp_path, "csv")
    with pytest.raises(InputError) as error:
        import_accounts(accounts, roster, "totango")
    assert _errors(error) == [f"{roster}: row 3, column capacity: cannot read amount 'plenty'"]
    export.roster[1]["capacity"] = "20"
    accounts, roster = write_export(export, tmp_path, "csv")
    with pytest.raises(InputError) as error:
        import_accounts(accounts, roster, "totango")
    lines = _errors(error)
    assert (
        f"{accounts}: row 2, column Lifecycle Stage: unknown stage 'zombie'; known: "
        "adoption, at_risk, onboarding, steady" in lines
    )
    assert f"{roster}: row 4, column segments: unknown segment 'Galactic'" in lines


def test_locks_file_and_rebalance_options(
    generated: Instance, policy_file: Path, tmp_path: Path
) -> None:
    export = build_export(generated, "churnzero")
    accounts, roster = write_export(export, tmp_path, "csv")
    owned = [a for a in generated.accounts if a.current_csm and not a.locked]
    new = next(a for a in generated.accounts if a.current_csm is None)
    locks = write_rows(
        [
            {"account": export.account_ids[owned[0].id], "reason": "escalation"},
            {"account": "CZ-nope", "reason": ""},
            {"account": export.account_ids[new.id], "reason": "vip"},
        ],
        tmp_path / "locks.csv",
        "csv",
    )
    with pytest.raises(InputError) as error:
        import_files(accounts, roster, "churnzero", locks_path=locks)
    assert _errors(error) == [
        f"{locks}: row 3, column account: unknown account 'CZ-nope'",
        f"{locks}: row 4, column account: account {export.account_ids[new.id]} is locked but "
        "has no owner to stay with",
    ]
    locks = write_rows(
        [{"account": export.account_ids[owned[0].id], "reason": "escalation"}],
        tmp_path / "locks.csv",
        "csv",
    )
    instance = import_accounts(
        accounts,
        roster,
        "churnzero",
        locks_path=locks,
        policy=_options(policy_file).policy,
        effective_date=dt.date(2027, 2, 1),
        max_move_share=0.1,
        freeze_days=45,
    )
    locked = {a.id: a.lock_reason for a in instance.accounts if a.locked}
    assert locked[export.account_ids[owned[0].id]] == "escalation"
    continuity = instance.policy.continuity
    owners = sum(a.current_csm is not None for a in instance.accounts)
    assert (continuity.max_moves, continuity.freeze_days) == (owners // 10, 45)
    assert instance.policy.effective_date == dt.date(2027, 2, 1)


def test_mapping_file(generated: Instance, policy_file: Path, tmp_path: Path) -> None:
    export = build_export(generated, "totango")
    for row in export.accounts:
        row["Renewal"] = row.pop("Contract Renewal Date")
        row["Geo"] = {"North America": "Amer", "EMEA": "Europe", "Asia Pacific": "Asia"}[
            row.pop("Region")
        ]
    accounts, roster = write_export(export, tmp_path, "csv")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "extends": "totango",
                "columns": {"renewal_date": "Renewal", "region": "Geo"},
                "values": {"region": {"Amer": "NA", "Europe": "EMEA", "Asia": "APAC"}},
                "export": {
                    "account_column": "Account ID",
                    "owner_column": "Owner Email",
                    "owner_key": "email",
                },
            }
        )
    )
    imported = import_files(accounts, roster, mapping, options=_options(policy_file))
    _same_accounts(imported.instance, generated, export.account_ids)
    assert (imported.keys.preset, imported.keys.owner_column) == ("mapping.json", "Owner Email")
    mapping.write_text(json.dumps({"columns": {"colour": "Colour"}}))
    with pytest.raises(InputError) as error:
        import_accounts(accounts, roster, mapping)
    assert _errors(error)[0].startswith(f"{mapping}: columns.colour: unknown field")


def test_dataframes(generated: Instance, policy_file: Path) -> None:
    export = build_export(generated, "gainsight", dirty=True)
    instance = import_frames(
        pd.DataFrame(export.accounts),
        pd.DataFrame(export.roster),
        "gainsight",
        unknown_owner="new",
        policy=_options(policy_file).policy,
    )
    assert len(instance.accounts) == len(generated.accounts)
    broken = pd.DataFrame(export.accounts).assign(ARR="n/a")
    with pytest.raises(InputError) as error:
        import_frames(broken, pd.DataFrame(export.roster), "gainsight")
    assert _errors(error)[0] == "<accounts>: row 2, column ARR: blank arr"


def test_cli_import_writes_instance_and_keys(
    generated: Instance, policy_file: Path, tmp_path: Path
) -> None:
    export = build_export(generated, "salesforce", dirty=True)
    accounts, roster = write_export(export, tmp_path, "xlsx")
    out = tmp_path / "instance.json"
    runner = CliRunner()
    args = [
        "import",
        "--format",
        "xlsx",
        str(accounts),
        "--csms",
        str(roster),
        "--preset",
        "salesforce",
        "--policy",
        str(policy_file),
        "-o",
        str(out),
    ]
    failed = runner.invoke(main, args)
    assert failed.exit_code == 2
    assert f"{accounts}: row 4, column OwnerId: owner" in failed.output
    result = runner.invoke(
        main,
        [
            *args,
            "--unknown-owner",
            "new",
            "--max-moves",
            "12",
            "--effective-date",
            "2027-01-15",
            "--fewest-moves",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "fewest moves" in result.output
    instance = load_instance(out)
    assert instance.policy.continuity.max_moves == 12
    assert instance.policy.continuity.fewest_moves
    assert instance.policy.effective_date == dt.date(2027, 1, 15)
    keys = read_keys(keys_path(out))
    assert (keys.account_column, keys.owner_column, keys.owner_key) == ("Id", "OwnerId", "crm_id")
    both = runner.invoke(main, [*args, "--max-moves", "1", "--max-move-share", "0.1"])
    assert both.exit_code == 2 and "not both" in both.output
    missing = runner.invoke(main, ["import", str(accounts), "-o", str(out)])
    assert missing.exit_code == 2 and "--csms ROSTER_FILE and --preset" in missing.output


def test_cli_import_orlib_gap(tmp_path: Path) -> None:
    out = tmp_path / "gap.json"
    result = CliRunner().invoke(
        main,
        ["import", "--format", "orlib-gap", str(GAP / "cattrysse1994" / "gap1-0"), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert len(load_instance(out).accounts) == 15


def test_salesforce_user_ids_as_roster_ids(
    generated: Instance, policy_file: Path, tmp_path: Path
) -> None:
    export = build_export(generated, "salesforce")
    user_ids = {r["id"]: r["crm_id"][:15] for r in export.roster}  # 15-char, as in reports
    for row in export.roster:
        row["id"] = user_ids[row["id"]]
        del row["crm_id"]
    accounts, roster = write_export(export, tmp_path, "csv")  # OwnerIds stay 18-char
    imported = import_files(accounts, roster, "salesforce", options=_options(policy_file))
    owners = {a.current_csm for a in imported.instance.accounts} - {None}
    assert owners <= set(user_ids.values())
    assert {k.crm_id for k in imported.keys.csms.values()} == {
        salesforce_id(u) for u in user_ids.values()
    }
