"""Realistic CRM exports (and CSM rosters) written from a generated instance, for tests.

`build_export(instance, preset, dirty=...)` returns the rows each platform would export,
with the platform's column names and value styles; `write_export` writes them as CSV or
XLSX. The dirty variant mixes what real exports contain: currency strings ('$1,200,000',
'1.2M', '€ 30 000'), mixed date styles (ISO, US, European, Excel serials), a blank owner, an
unknown owner, an identical duplicate row, Excel's BOM and ';' delimiter, and (Salesforce)
15-character ids next to 18-character ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from allocator.crm.values import salesforce_id
from allocator.schema.instance import Account, Csm, Instance

INDUSTRY = {
    "software": "Technology",
    "finance": "Banking",
    "retail": "Retail",
    "manufacturing": "Manufacturing",
    "healthcare": "Healthcare",
    "telco": "Telecommunications",
    "education": "Education",
    "media": "Media",
}
COUNTRY = {
    "NA": ("United States", "Canada", "US"),
    "EMEA": ("United Kingdom", "Germany", "FR"),
    "APAC": ("Australia", "Japan", "Singapore"),
}
REGION_LABEL = {"NA": "North America", "EMEA": "EMEA", "APAC": "Asia Pacific"}
STAGE = {
    "onboarding": "Onboarding",
    "adoption": "Adoption",
    "steady": "Steady",
    "at_risk": "At Risk",
}
GAINSIGHT_STAGE = {
    "onboarding": "Kick Off",
    "adoption": "Adopting",
    "steady": "Mature",
    "at_risk": "Will Churn",
}
UNKNOWN_OWNER = {
    "salesforce": "005000000GHOST1",
    "gainsight": "Ghost User",
    "churnzero": "ghost.user@example.com",
    "totango": "Ghost User",
}
PRESETS = ("salesforce", "gainsight", "churnzero", "totango")


@dataclass
class Export:
    """What a platform exports: account rows, roster rows, and how ids were renamed."""

    preset: str
    accounts: list[dict[str, Any]]
    roster: list[dict[str, Any]]
    account_ids: dict[str, str] = field(default_factory=dict)  # instance id -> imported id
    owner_keys: dict[str, str] = field(default_factory=dict)  # CSM id -> owner-update value
    blank_owner: str | None = None  # instance id of the account exported without an owner
    unknown_owner: str | None = None  # ... and of the one with an owner not in the roster
    semicolons: bool = False


def _email(name: str) -> str:
    clean = "".join(ch for ch in name.lower() if ch.isalpha() or ch == " ")
    return ".".join(clean.split()) + "@example.com"


def _sf_id(rng: random.Random, prefix: str) -> str:
    body = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(12))
    return salesforce_id(prefix + body)


def _gsid(rng: random.Random) -> str:
    return "1P02" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(32))


def _account_keys(instance: Instance, preset: str, rng: random.Random) -> dict[str, str]:
    keys = {}
    for account in instance.accounts:
        number = account.id.lstrip("A")
        if preset == "salesforce":
            keys[account.id] = _sf_id(rng, "001")
        elif preset == "gainsight":
            keys[account.id] = _gsid(rng)
        else:
            keys[account.id] = f"CZ-{number}" if preset == "churnzero" else f"acct_{number}"
    return keys


def _crm_user_ids(instance: Instance, rng: random.Random) -> dict[str, str]:
    return {c.id: _sf_id(rng, "005") for c in instance.csms}


def _owner(csm: Csm, preset: str, crm_id: str) -> str:
    return {
        "salesforce": crm_id,
        "gainsight": csm.name,
        "churnzero": _email(csm.name),
        "totango": csm.name,
    }[preset]


def _amount(arr: float, style: int) -> Any:
    """ARR in one of the styles CRM users type."""
    if style == 1:
        return f"${arr:,.0f}"
    if style == 2 and arr % 10_000 == 0:
        return f"{arr / 1e6:g}M"
    if style == 2:
        return f"{arr / 1e3:g}k"
    if style == 3:
        return "€ " + f"{arr:,.0f}".replace(",", " ")
    return f"{arr:.0f}"


def _date(date: dt.date, style: int, xlsx: bool) -> Any:
    if style == 0:
        return dt.datetime.combine(date, dt.time()) if xlsx else date.isoformat()
    if style == 1:
        return date.strftime("%m/%d/%Y")
    if style == 2:
        return date.strftime("%d.%m.%Y")
    serial = (date - dt.date(1899, 12, 30)).days
    return serial if xlsx else str(serial)


def _flag(value: bool, preset: str) -> str:
    return {
        "salesforce": "TRUE" if value else "FALSE",
        "churnzero": "true" if value else "false",
    }.get(preset, "Yes" if value else "No")


def _row(
    account: Account,
    preset: str,
    ids: dict[str, str],
    owner: str,
    dirty: bool,
    xlsx: bool,
    index: int,
) -> dict[str, Any]:
    """One account as `preset` exports it (column names and value styles)."""
    style = index % 4 if dirty else 0
    arr: Any = (
        _amount(account.arr, style) if dirty else (account.arr if xlsx else f"{account.arr:.0f}")
    )
    renewal = _date(account.renewal_date, style, xlsx)
    parent = ids[account.parent_id] if account.parent_id else ""
    stage = account.lifecycle_stage or ""
    health = "" if account.health is None else f"{account.health:g}"
    country = COUNTRY[account.region][index % 3]
    flag = _flag(account.strategic, preset)
    locked = _flag(account.locked, preset) if account.locked else ""
    contract = (account.contract or "annual").capitalize()
    if preset == "salesforce":
        return {
            "Id": ids[account.id],
            "Name": account.name,
            "Industry": INDUSTRY[account.vertical],
            "AnnualRevenue": "",
            "ARR__c": arr,
            "Renewal_Date__c": renewal,
            "OwnerId": owner,
            "ParentId": parent,
            "BillingCountry": country,
            "Strategic__c": flag,
            "Lifecycle_Stage__c": STAGE.get(stage, ""),
            "Health_Score__c": health,
            "Billing_Frequency__c": contract,
            "CSM_Locked__c": locked,
            "CSM_Lock_Reason__c": account.lock_reason,
        }
    if preset == "gainsight":
        return {
            "GSID": ids[account.id],
            "Name": account.name,
            "ARR": arr,
            "Renewal Date": renewal,
            "Stage": GAINSIGHT_STAGE.get(stage, ""),
            "CSM": owner,
            "Industry": INDUSTRY[account.vertical],
            "Parent Company": parent,
            "Region": REGION_LABEL[account.region],
            "Strategic": flag,
            "Current Score": health,
            "Billing Frequency": contract,
            "CSM Locked": locked,
            "Lock Reason": account.lock_reason,
        }
    if preset == "churnzero":
        return {
            "accountExternalId": ids[account.id],
            "Name": account.name,
            "NextRenewalDate": renewal,
            "TotalContractAmount": arr,
            "OwnerUserAccount": owner,
            "ParentAccountExternalId": parent,
            "BillingAddressCountry": country,
            "cf_Industry": INDUSTRY[account.vertical],
            "cf_Strategic": flag,
            "cf_Lifecycle Stage": STAGE.get(stage, ""),
            "cf_Health Score": health,
            "cf_Billing Frequency": contract,
            "cf_CSM Locked": locked,
            "cf_Lock Reason": account.lock_reason,
        }
    return {
        "account_id": ids[account.id],
        "account_name": account.name,
        "parent_id": parent,
        "Success Manager": owner,
        "Contract Renewal Date": renewal,
        "Contract Value": arr,
        "Industry": INDUSTRY[account.vertical],
        "Region": REGION_LABEL[account.region],
        "Strategic": flag,
        "Lifecycle Stage": STAGE.get(stage, ""),
        "Health Score": health,
        "Billing Frequency": contract,
        "CSM Locked": locked,
        "Lock Reason": account.lock_reason,
    }


def _roster(instance: Instance, crm_ids: dict[str, str], dirty: bool) -> list[dict[str, Any]]:
    rows = []
    for csm in instance.csms:
        rows.append(
            {
                "id": csm.id,
                "name": csm.name,
                "email": _email(csm.name),
                "crm_id": crm_ids[csm.id],
                "segments": ";".join(csm.segments),
                "verticals": ";".join(csm.verticals),
                "regions": ";".join(csm.regions),
                "capacity": f"{csm.capacity:g}",
                "annual_cost": f"${csm.annual_cost:,.0f}" if dirty else f"{csm.annual_cost:.0f}",
                "leaving": ("Yes" if csm.leaving else "No") if dirty else str(csm.leaving).upper(),
                "ramp": f"{csm.ramp:.0%}" if dirty else f"{csm.ramp:g}",
            }
        )
    return rows


def build_export(
    instance: Instance, preset: str, dirty: bool = False, xlsx: bool = False, seed: int = 0
) -> Export:
    """The account export and roster a platform would give for `instance`."""
    rng = random.Random(f"{preset}-{seed}")
    ids = _account_keys(instance, preset, rng)
    crm_ids = _crm_user_ids(instance, rng)
    csms = {c.id: c for c in instance.csms}
    export = Export(
        preset,
        [],
        _roster(instance, crm_ids, dirty),
        owner_keys={
            c.id: {
                "salesforce": crm_ids[c.id],
                "gainsight": _email(c.name),
                "churnzero": _email(c.name),
                "totango": c.name,
            }[preset]
            for c in instance.csms
        },
        semicolons=dirty and preset == "gainsight",
    )
    owned = [
        a.id
        for a in instance.accounts
        if a.current_csm
        and not a.locked
        and a.parent_id is None
        and not any(b.parent_id == a.id for b in instance.accounts)
    ]
    if dirty:
        export.blank_owner, export.unknown_owner = owned[0], owned[1]
    for index, account in enumerate(instance.accounts):
        csm = csms.get(account.current_csm or "")
        owner = "" if csm is None else _owner(csm, preset, crm_ids[csm.id])
        if account.id == export.blank_owner:
            owner = ""
        elif account.id == export.unknown_owner:
            owner = UNKNOWN_OWNER[preset]
        row = _row(account, preset, ids, owner, dirty, xlsx, index)
        if dirty and preset == "salesforce" and index % 3 == 0:
            # 15-character ids, as reports and spreadsheets often show them
            for column in ("Id", "OwnerId", "ParentId"):
                if row[column]:
                    row[column] = row[column][:15]
        export.accounts.append(row)
        if dirty and index == 5:
            export.accounts.append(dict(row))  # an identical duplicate row
    export.account_ids = ids
    return export


def _write_csv(rows: list[dict[str, Any]], path: Path, delimiter: str, bom: bool) -> None:
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def _write_xlsx(rows: list[dict[str, Any]], path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    header = list(rows[0])
    sheet.append(header)
    for row in rows:
        sheet.append([None if row[h] == "" else row[h] for h in header])
    book.save(path)


def write_rows(
    rows: list[dict[str, Any]], path: Path, fmt: str, delimiter: str = ",", bom: bool = False
) -> Path:
    if fmt == "xlsx":
        _write_xlsx(rows, path)
    else:
        _write_csv(rows, path, delimiter, bom)
    return path


def write_export(export: Export, folder: Path, fmt: str) -> tuple[Path, Path]:
    """Write the account export and roster; returns (accounts path, roster path)."""
    folder.mkdir(parents=True, exist_ok=True)
    accounts = write_rows(
        export.accounts,
        folder / f"{export.preset}-accounts.{fmt}",
        fmt,
        ";" if export.semicolons else ",",
        bom=export.semicolons,
    )
    roster = write_rows(export.roster, folder / f"{export.preset}-roster.{fmt}", fmt)
    return accounts, roster


def write_policy(instance: Instance, path: Path) -> Path:
    path.write_text(json.dumps(instance.policy.model_dump(mode="json")), encoding="utf-8")
    return path


def imported_id(export: Export, account_id: str) -> str:
    """The id the importer gives an account of the instance (Salesforce ids: 18 chars)."""
    return export.account_ids[account_id]
