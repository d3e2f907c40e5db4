"""A quarterly rebalance from exports shaped like real ones (`tests/data/rebalance`, made by
its `make.py`): region codes that look like blanks, roster regions spelled every way,
specialists and generalists who also take a specialised vertical, dates that are all
ambiguous, and a lock on a leaver's account."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from allocator.cli.main import main
from allocator.crm import Imported, ImportOptions, import_files, read_policy
from allocator.crm.table import CrmInputError
from allocator.facts import Facts
from allocator.pipeline import solve
from allocator.schema import effective_date_of
from tests.builders import ROOT

SALESFORCE = ROOT / "tests" / "data" / "rebalance" / "salesforce"


def _import(day_first: bool | None = True, locks: Path | None = None) -> Imported:
    options = ImportOptions(policy=read_policy(SALESFORCE / "policy.json"), day_first=day_first)
    return import_files(
        SALESFORCE / "accounts.csv",
        SALESFORCE / "roster.csv",
        "salesforce",
        locks_path=locks,
        options=options,
    )


def test_region_na_is_north_america_in_the_export_and_the_roster() -> None:
    instance = _import().instance
    regions = {c.id: c.regions for c in instance.csms}
    # Written NA, North America and AMER: all the region code NA, never "every region".
    assert regions["C01"] == regions["C02"] == regions["C03"] == ["NA"]
    assert regions["C06"] == ["NA", "EMEA", "APAC"]
    assert {a.region for a in instance.accounts} == {"NA", "EMEA", "APAC"}
    result = solve(instance, time_limit=10)
    assert result.status in ("OPTIMAL", "FEASIBLE") and result.solution.violations == []
    csms = {c.id: c for c in instance.csms}
    for account in instance.accounts:
        owner = result.owners[account.id]
        assert owner is None or not csms[owner].regions or account.region in csms[owner].regions


def test_a_generalist_who_also_takes_finance_is_not_a_specialist() -> None:
    instance = _import().instance
    facts = Facts(instance, effective_date_of(instance))
    by_vertical: dict[str, set[str]] = {}
    for account in instance.accounts:
        by_vertical.setdefault(account.vertical, set()).update(
            facts.eligibility.structural[account.id]
        )
    csms = {c.id: c for c in instance.csms}
    assert csms["C07"].generalist is True and csms["C07"].verticals == ["finance"]
    assert "C07" in by_vertical["finance"] and "C07" in by_vertical["retail"]
    assert "C06" in by_vertical["finance"] and "C06" not in by_vertical["retail"]
    assert csms["C06"].specialism() == "finance/telco"
    assert csms["C07"].specialism() == "generalist + finance"


def test_dates_that_are_all_ambiguous_are_read_as_told_and_warned_about() -> None:
    told = _import(day_first=True)
    first = next(a for a in told.instance.accounts if a.name == "Prairie Labs 0")
    assert first.renewal_date == dt.date(2028, 1, 9)  # 09/01/2028, day first
    assert not [w for w in told.warnings if "ambiguous" in w]
    untold = _import(day_first=None)
    warned = [w for w in untold.warnings if "ambiguous" in w]
    assert len(warned) == 1
    assert "column Renewal_Date__c" in warned[0] and "--day-first" in warned[0]
    assert '"day_first": true' in warned[0]
    first = next(a for a in untold.instance.accounts if a.name == "Prairie Labs 0")
    assert first.renewal_date == dt.date(2028, 9, 1)  # month first, as the warning says


def test_a_lock_on_a_leavers_account_is_an_import_error_naming_the_locks_row() -> None:
    with pytest.raises(CrmInputError) as caught:
        _import(locks=SALESFORCE / "locks.csv")
    lines = caught.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{SALESFORCE / 'locks.csv'}: row 3, column account:")
    assert "is locked to C08, who is leaving" in lines[0]
    assert "mid-expansion" in lines[0]


def test_import_prints_where_it_wrote_both_files(tmp_path: Path) -> None:
    out = tmp_path / "q1" / "instance.json"
    result = CliRunner().invoke(
        main,
        [
            "import",
            str(SALESFORCE / "accounts.csv"),
            "--csms",
            str(SALESFORCE / "roster.csv"),
            "--preset",
            "salesforce",
            "--policy",
            str(SALESFORCE / "policy.json"),
            "--day-first",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out} and {out.with_name('instance.crm.json')}:" in result.output
