"""Writes the realistic CRM exports the rebalance tests read (seeded: the same files every
time). Run from the repository root: `python tests/data/rebalance/make.py`.

`salesforce/`: a Salesforce-shaped account export of a small SaaS company (15-character
ids, amounts like "$1,200,000", every renewal date written day first and ambiguous, e.g.
05/03/2027), a roster whose regions are spelled `NA`, `North America`, `AMER`, `EMEA` and
`APAC`, with a finance specialist, a generalist who can also take finance, a leaver and a
ramping hire, a locks file and a policy. `gainsight/`: an 85-account Gainsight-shaped
export and roster, as XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import string
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
PLAN_DATE = dt.date(2027, 1, 1)
VERTICALS = (
    ("Technology", 0.3),
    ("Banking", 0.2),
    ("Retail", 0.2),
    ("Healthcare", 0.15),
    ("Telecommunications", 0.15),
)
REGIONS = (("NA", 0.5), ("EMEA", 0.3), ("APAC", 0.2))
WORDS = (
    "North",
    "Blue",
    "Summit",
    "Harbor",
    "Granite",
    "Vertex",
    "Cedar",
    "Pioneer",
    "Atlas",
    "Beacon",
    "Crescent",
    "Lumen",
    "Orbit",
    "Prairie",
    "Quartz",
    "Ridge",
)
KINDS = ("Labs", "Bank", "Retail", "Health", "Telecom", "Systems", "Group", "Partners")


def _pick(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def _sf_id(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(12))


def _ambiguous_date(rng: random.Random) -> str:
    """A renewal in the next 15 months, written day first with day <= 12 != month."""
    while True:
        date = PLAN_DATE + dt.timedelta(days=rng.randint(10, 450))
        if date.day <= 12 and date.day != date.month:
            return f"{date.day:02d}/{date.month:02d}/{date.year}"


def salesforce(rng: random.Random, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    csms = [
        # id, name, regions as written, segments, verticals, generalist, capacity, leaving, ramp
        ("C01", "Avery Stone", "NA", "Enterprise;Scale", "", "", 40, "", ""),
        ("C02", "Blake Rivera", "North America", "Enterprise;Scale", "", "", 40, "", ""),
        ("C03", "Casey Moore", "AMER", "Scale", "", "", 36, "", ""),
        ("C04", "Devon Ito", "EMEA", "Enterprise;Scale", "", "", 40, "", ""),
        ("C05", "Emery Shah", "APAC", "Enterprise;Scale", "", "", 36, "", ""),
        (
            "C06",
            "Finley Park",
            "NA;EMEA;APAC",
            "Global;Enterprise;Scale",
            "finance;telco",
            "",
            40,
            "",
            "",
        ),
        (
            "C07",
            "Gray Novak",
            "NA;EMEA;APAC",
            "Global;Enterprise;Scale",
            "finance",
            "yes",
            40,
            "",
            "",
        ),
        ("C08", "Harper Lin", "EMEA;APAC", "Enterprise;Scale", "", "", 40, "yes", ""),
        ("C09", "Indy Costa", "NA", "Enterprise;Scale", "", "", 40, "", "50%"),
        ("C10", "Jules Okafor", "NA;EMEA;APAC", "Global", "", "", 30, "", ""),
    ]
    user_ids = {c[0]: _sf_id(rng, "005") for c in csms}
    with open(folder / "roster.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id",
                "name",
                "email",
                "crm_id",
                "segments",
                "verticals",
                "generalist",
                "regions",
                "capacity",
                "annual_cost",
                "leaving",
                "ramp",
            ]
        )
        for cid, name, regions, segments, verticals, generalist, capacity, leaving, ramp in csms:
            email = name.lower().replace(" ", ".") + "@example.com"
            writer.writerow(
                [
                    cid,
                    name,
                    email,
                    user_ids[cid],
                    segments,
                    verticals,
                    generalist,
                    regions,
                    capacity,
                    120_000,
                    leaving,
                    ramp,
                ]
            )
    owners_by_region = {
        "NA": ["C01", "C02", "C03", "C09"],
        "EMEA": ["C04", "C08"],
        "APAC": ["C05", "C08"],
    }
    rows = []
    for index in range(60):
        region = _pick(rng, REGIONS)
        industry = _pick(rng, VERTICALS)
        arr = round(rng.lognormvariate(11.0, 0.9), -2)
        if index < 3:
            arr = rng.choice([900_000, 1_200_000, 780_000])
        if industry in ("Banking", "Telecommunications"):
            owner = rng.choice(["C06", "C07"])
        elif arr >= 750_000:
            owner = "C10"
        else:
            owner = rng.choice(owners_by_region[region])
        if rng.random() < 0.08:
            owner = ""  # a new customer: no owner yet
        rows.append(
            {
                "Id": _sf_id(rng, "001"),
                "Name": f"{rng.choice(WORDS)} {rng.choice(KINDS)} {index}",
                "ARR__c": f"${arr:,.0f}",
                "Industry": industry,
                "CS_Region__c": region,
                "Renewal_Date__c": _ambiguous_date(rng),
                "CSM__c": user_ids[owner] if owner else "",
                "ParentId": "",
                "CSM_Locked__c": "FALSE",
            }
        )
    rows[5]["ParentId"] = rows[4]["Id"]  # a family
    with open(folder / "accounts.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    leaver_account = next(r["Id"] for r in rows if r["CSM__c"] == user_ids["C08"])
    with open(folder / "locks.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account", "reason"])
        writer.writerow([rows[1]["Id"], "exec sponsor relationship"])
        writer.writerow([leaver_account, "mid-expansion"])
    policy = {
        "effective_date": PLAN_DATE.isoformat(),
        "renewal_spread": {"window": "quarter", "max_per_window": 6},
    }
    (folder / "policy.json").write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")


def gainsight(rng: random.Random, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    names = ["Kai Burns", "Lee Chen", "Morgan Diaz", "Nico Evans", "Oakley Fox", "Parker Gale"]
    roster = Workbook()
    sheet = roster.active
    sheet.append(
        [
            "id",
            "name",
            "email",
            "segments",
            "verticals",
            "generalist",
            "regions",
            "capacity",
            "max_accounts",
            "annual_cost",
        ]
    )
    for i, name in enumerate(names, start=1):
        # G6 takes only finance; G4 and G5 take everything else, telco included.
        verticals = {4: "telco", 5: "telco", 6: "finance"}.get(i, "")
        sheet.append(
            [
                f"G{i}",
                name,
                name.lower().replace(" ", ".") + "@example.com",
                "Enterprise;Scale",
                verticals,
                "yes" if i in (4, 5) else "",
                "",
                48 if i == 6 else 30,
                "Enterprise=8;Scale=25",
                110_000,
            ]
        )
    roster.save(folder / "roster.xlsx")
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "GSID",
            "Name",
            "ARR",
            "Industry",
            "Region",
            "Renewal Date",
            "CSM",
            "Stage",
            "Current Score",
        ]
    )
    for index in range(85):
        industry = _pick(rng, VERTICALS)
        owner = names[5] if industry == "Banking" else rng.choice(names[:5])
        renewal = PLAN_DATE + dt.timedelta(days=rng.randint(20, 420))
        sheet.append(
            [
                "1P0"
                + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(15)),
                f"{rng.choice(WORDS)} {rng.choice(KINDS)} {index}",
                round(rng.lognormvariate(11.2, 0.8), -2),
                industry,
                _pick(rng, REGIONS),
                dt.datetime(renewal.year, renewal.month, renewal.day),
                owner.lower().replace(" ", ".") + "@example.com",
                rng.choice(["Kick Off", "Adopting", "Mature", "Mature", "Will Churn"]),
                rng.choice([35, 55, 72, 88]),
            ]
        )
    book.save(folder / "companies.xlsx")


if __name__ == "__main__":
    salesforce(random.Random(14), HERE / "salesforce")
    gainsight(random.Random(85), HERE / "gainsight")
