"""Column-mapping presets for CRM / customer-success-platform exports, and mapping files.

A preset says, for each account field of the instance, which export columns may hold it (the
first one present wins), how their values translate (value maps), and the shape of the
owner-update file the platform imports (`ExportShape`). A JSON mapping file can define a
shape of its own or extend a preset:

    {"extends": "salesforce",
     "columns": {"arr": "ARR (USD)", "renewal_date": ["Renewal", "Next Renewal"]},
     "values": {"region": {"Deutschland": "EMEA"}},
     "day_first": true,
     "export": {"account_column": "Id", "owner_column": "CSM__c", "owner_key": "crm_id"}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from allocator.crm.values import Cell, is_blank
from allocator.io.loading import problems_from_validation_error
from allocator.io.reading import read_json
from allocator.schema.errors import InputError, Problem

OwnerKey = Literal["crm_id", "email", "name", "id"]

FIELDS = (
    "id",
    "name",
    "arr",
    "vertical",
    "region",
    "country",
    "renewal_date",
    "segment",
    "strategic",
    "lifecycle_stage",
    "health",
    "contract",
    "owner",
    "parent_id",
    "effort",
    "locked",
    "lock_reason",
)
"""Account fields an export can fill; `owner` becomes current_csm, `country` the region."""

REQUIRED = ("id", "arr", "renewal_date")

LITERAL = frozenset(
    {
        "id",
        "name",
        "owner",
        "parent_id",
        "region",
        "country",
        "vertical",
        "segment",
        "lifecycle_stage",
        "lock_reason",
    }
)
"""Name-like fields: a cell there is blank only when empty ('NA' is a region, not nothing),
unless the mapping's `blanks` says otherwise."""


@dataclass(frozen=True)
class ExportShape:
    """The platform's owner-update import: which columns, and how a CSM is named in it."""

    account_column: str
    owner_column: str
    owner_key: OwnerKey
    effective_date_column: str | None = None
    writable_owner_columns: tuple[str, ...] = ()
    """Owner columns the import may have read that the platform also updates directly."""

    def with_owner_column(self, column: str) -> ExportShape:
        return replace(self, owner_column=column)


@dataclass(frozen=True)
class Preset:
    name: str
    columns: Mapping[str, tuple[str, ...]]
    export: ExportShape
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    salesforce_ids: bool = False
    day_first: bool | None = None  # None: infer per column, month-first when undecided
    blanks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per field, values that mean "nothing here" beyond an empty cell (mapping files)."""

    def value_map(self, name: str) -> dict[str, str]:
        """`name`'s value map with keys folded for case-insensitive lookup."""
        return {_fold(k): v for k, v in self.values.get(name, {}).items()}

    def map_value(self, name: str, value: str) -> str | None:
        """`value` through `name`'s value map (None when unmapped)."""
        return self.value_map(name).get(_fold(value))

    def is_blank(self, name: str, cell: Cell) -> bool:
        """Whether a cell of field `name` is empty (see `LITERAL`)."""
        if name not in LITERAL:
            return is_blank(cell)
        extra = {_fold(v) for v in self.blanks.get(name, ())}
        return is_blank(cell, literal=True) or (isinstance(cell, str) and _fold(cell) in extra)


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def _countries(region: str, names: str) -> dict[str, str]:
    return {name.strip(): region for name in names.split(",")}


# Country names and ISO codes to the regions CS teams commonly split by; Latin America is
# its own region here (map it to NA in a mapping file if your Americas team covers it).
COUNTRY_REGIONS: dict[str, str] = {
    **_countries("NA", "United States,United States of America,USA,US,U.S.,Canada,CA"),
    **_countries("LATAM", "Mexico,MX,Brazil,BR,Argentina,AR,Chile,CL,Colombia,CO,Peru,PE"),
    **_countries(
        "EMEA",
        "United Kingdom,UK,GB,Great Britain,England,Ireland,IE,Germany,DE,"
        "France,FR,Spain,ES,Italy,IT,Netherlands,NL,Belgium,BE,Switzerland,CH,"
        "Austria,AT,Sweden,SE,Norway,NO,Denmark,DK,Finland,FI,Poland,PL,"
        "Portugal,PT,Czech Republic,CZ,Israel,IL,United Arab Emirates,AE,"
        "Saudi Arabia,SA,South Africa,ZA,Nigeria,NG,Kenya,KE,Egypt,EG",
    ),
    **_countries(
        "APAC",
        "Australia,AU,New Zealand,NZ,Japan,JP,Singapore,SG,India,IN,China,CN,"
        "Hong Kong,HK,South Korea,Korea,KR,Taiwan,TW,Indonesia,ID,Malaysia,MY,"
        "Philippines,PH,Thailand,TH,Vietnam,VN",
    ),
    **_countries("NA", "North America,NAM,AMER"),
    **_countries("EMEA", "Europe,EU,Middle East,Africa"),
    **_countries("APAC", "Asia Pacific,Asia,APJ,ANZ"),
    **_countries("LATAM", "Latin America,South America"),
    "NA": "NA",
    "EMEA": "EMEA",
    "APAC": "APAC",
    "LATAM": "LATAM",
}

# Salesforce's standard Industry picklist (and common variants) to the instance's verticals.
INDUSTRY_VERTICALS: dict[str, str] = {
    **dict.fromkeys(
        ("Banking", "Finance", "Financial Services", "Insurance", "Capital Markets", "Fintech"),
        "finance",
    ),
    **dict.fromkeys(("Telecommunications", "Communications", "Telecom", "Telco"), "telco"),
    **dict.fromkeys(
        ("Technology", "Software", "SaaS", "Information Technology", "Electronics"), "software"
    ),
    **dict.fromkeys(("Retail", "Apparel", "Consumer Goods", "E-commerce"), "retail"),
    **dict.fromkeys(
        ("Manufacturing", "Machinery", "Chemicals", "Engineering", "Industrial"), "manufacturing"
    ),
    **dict.fromkeys(
        ("Healthcare", "Biotechnology", "Pharmaceuticals", "Life Sciences", "Medical"), "healthcare"
    ),
    **dict.fromkeys(("Education", "Higher Education", "K-12"), "education"),
    **dict.fromkeys(("Media", "Entertainment", "Publishing"), "media"),
}

# Lifecycle stages as platforms name them (Gainsight's defaults included).
STAGES: dict[str, str] = {
    **dict.fromkeys(
        ("Onboarding", "Kick Off", "Kickoff", "New Customer", "Implementation", "New"), "onboarding"
    ),
    **dict.fromkeys(("Adoption", "Adopting", "Launched", "Ramping"), "adoption"),
    **dict.fromkeys(("Steady", "Mature", "Active", "Renewal", "Growth", "Expansion"), "steady"),
    **dict.fromkeys(("At Risk", "At-Risk", "Risk", "Will Churn", "Churn Risk"), "at_risk"),
}

CONTRACTS: dict[str, str] = {
    **dict.fromkeys(("Annual", "Annually", "Yearly", "12 months", "Multi-year"), "annual"),
    **dict.fromkeys(("Monthly", "Month-to-month", "1 month"), "monthly"),
}

_VALUES: dict[str, Mapping[str, str]] = {
    "region": COUNTRY_REGIONS,
    "vertical": INDUSTRY_VERTICALS,
    "lifecycle_stage": STAGES,
    "contract": CONTRACTS,
}


def _common(**extra: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {"effort": ("Effort", "CS Effort"), **extra}


SALESFORCE = Preset(
    name="salesforce",
    columns=_common(
        id=("Id", "Account ID", "Account.Id"),
        name=("Name", "Account Name"),
        arr=("ARR__c", "Annual_Recurring_Revenue__c", "Total_ARR__c", "ARR", "AnnualRevenue"),
        vertical=("Industry",),
        region=("CS_Region__c", "Region__c"),
        country=("BillingCountry", "BillingCountryCode", "Billing Country"),
        renewal_date=("Renewal_Date__c", "Next_Renewal_Date__c", "Contract_End_Date__c"),
        segment=("CS_Segment__c",),
        strategic=("Strategic__c", "Strategic_Account__c"),
        lifecycle_stage=("Lifecycle_Stage__c", "Customer_Stage__c"),
        health=("Health_Score__c",),
        contract=("Billing_Frequency__c", "Contract_Type__c"),
        owner=("CSM__c", "Customer_Success_Manager__c", "OwnerId", "Owner.Id", "Account Owner ID"),
        parent_id=("ParentId", "Parent.Id", "Parent Account ID"),
        locked=("CSM_Locked__c", "Lock_CSM__c"),
        lock_reason=("CSM_Lock_Reason__c", "Lock_Reason__c"),
    ),
    values=_VALUES,
    salesforce_ids=True,
    export=ExportShape(
        account_column="Id",
        owner_column="OwnerId",
        owner_key="crm_id",
        writable_owner_columns=("CSM__c", "Customer_Success_Manager__c"),
    ),
)

GAINSIGHT = Preset(
    name="gainsight",
    columns=_common(
        id=("GSID", "Company ID", "Company GSID", "External ID", "SFDC Account ID"),
        name=("Name", "Company Name"),
        arr=("ARR", "Annual Recurring Revenue"),
        vertical=("Industry",),
        region=("Region",),
        country=("Country", "Billing Country"),
        renewal_date=("Renewal Date",),
        segment=("CS Segment",),
        strategic=("Strategic", "Strategic Account"),
        lifecycle_stage=("Stage", "Lifecycle Stage"),
        health=("Current Score", "Overall Score", "Health Score"),
        contract=("Billing Frequency", "Contract Type"),
        owner=("CSM", "CSM Email", "CSM Name"),
        parent_id=("Parent Company", "Parent Company ID", "Parent Company GSID"),
        locked=("CSM Locked", "Lock CSM"),
        lock_reason=("Lock Reason", "CSM Lock Reason"),
    ),
    values=_VALUES,
    # The CSM field is a lookup to the User object; imports resolve it on the user's email.
    export=ExportShape(
        account_column="GSID",
        owner_column="CSM",
        owner_key="email",
        effective_date_column="CSM Effective Date",
    ),
)

CHURNZERO = Preset(
    name="churnzero",
    columns=_common(
        id=("accountExternalId",),
        name=("Name", "accountName"),
        arr=("cf_ARR", "TotalContractAmount"),
        vertical=("cf_Industry", "Industry"),
        region=("cf_Region",),
        country=("BillingAddressCountry", "BillingCountry"),
        renewal_date=("NextRenewalDate",),
        segment=("cf_CS Segment",),
        strategic=("cf_Strategic",),
        lifecycle_stage=("cf_Lifecycle Stage", "LifecycleStage"),
        health=("cf_Health Score", "ChurnScore"),
        contract=("cf_Billing Frequency",),
        owner=("OwnerUserAccount",),
        parent_id=("ParentAccountExternalId",),
        locked=("cf_CSM Locked",),
        lock_reason=("cf_Lock Reason",),
    ),
    values=_VALUES,
    # OwnerUserAccount matches on the ChurnZero user name (the user's email). Custom fields
    # must exist before an import can set them, so no effective-date column by default.
    export=ExportShape(
        account_column="accountExternalId", owner_column="OwnerUserAccount", owner_key="email"
    ),
)

TOTANGO = Preset(
    name="totango",
    columns=_common(
        id=("account_id", "Account Id"),
        name=("account_name", "Account Name", "display_name"),
        arr=("Contract Value", "contract_value", "ARR"),
        vertical=("Industry",),
        region=("Region",),
        country=("Country",),
        renewal_date=("Contract Renewal Date", "Renewal Date"),
        segment=("CS Segment",),
        strategic=("Strategic",),
        lifecycle_stage=("Lifecycle Stage", "Stage"),
        health=("Health Score",),
        contract=("Billing Frequency",),
        owner=("Success Manager",),
        parent_id=("parent_id", "Parent Id", "ParentID"),
        locked=("CSM Locked",),
        lock_reason=("Lock Reason",),
    ),
    values=_VALUES,
    # Totango matches Success Manager on the user's full name ("First Last").
    export=ExportShape(
        account_column="account_id",
        owner_column="Success Manager",
        owner_key="name",
        effective_date_column="Success Manager Effective Date",
    ),
)

PRESETS: dict[str, Preset] = {p.name: p for p in (SALESFORCE, GAINSIGHT, CHURNZERO, TOTANGO)}


class _ExportSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_column: str = Field(min_length=1)
    owner_column: str = Field(min_length=1)
    owner_key: OwnerKey = "id"
    effective_date_column: str | None = None


class MappingFile(BaseModel):
    """A user-written mapping: our field -> their column(s), plus value maps."""

    model_config = ConfigDict(extra="forbid")

    extends: Literal["salesforce", "gainsight", "churnzero", "totango"] | None = None
    columns: dict[str, str | list[str] | None] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    salesforce_ids: bool | None = None
    day_first: bool | None = None
    blanks: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Per field, values that mean an empty cell (e.g. {"region": ["N/A"]}); '
        "ids, names, regions and verticals otherwise treat only an empty cell as blank.",
    )
    export: _ExportSpec | None = None


def _from_mapping(spec: MappingFile, name: str, source: str) -> Preset:
    problems = [
        Problem("columns", key, f"unknown field; known: {', '.join(FIELDS)}")
        for key in spec.columns
        if key not in FIELDS
    ]
    problems += [
        Problem("values", key, f"unknown field; known: {', '.join(FIELDS)}")
        for key in spec.values
        if key not in FIELDS
    ]
    problems += [
        Problem("blanks", key, f"unknown field; known: {', '.join(FIELDS)}")
        for key in spec.blanks
        if key not in FIELDS
    ]
    base = PRESETS[spec.extends] if spec.extends else None
    columns = dict(base.columns) if base else {}
    for key, value in spec.columns.items():
        columns[key] = () if value is None else (value,) if isinstance(value, str) else tuple(value)
    if base is None:
        problems += [
            Problem("columns", key, "required field has no column")
            for key in REQUIRED
            if not columns.get(key)
        ]
        if spec.export is None:
            problems.append(Problem("export", "", "required unless the mapping extends a preset"))
    if problems:
        raise InputError(source, problems)
    values = {k: dict(v) for k, v in (base.values if base else _VALUES).items()}
    for key, extra in spec.values.items():
        values[key] = {**values.get(key, {}), **extra}
    if spec.export is not None:
        export = ExportShape(**spec.export.model_dump())
    elif base is not None:
        export = base.export
    else:
        raise InputError(source, problems)  # unreachable: reported above
    preset = Preset(
        name=name,
        columns=columns,
        export=export,
        values=values,
        salesforce_ids=base.salesforce_ids if base else False,
        day_first=base.day_first if base else None,
        blanks={k: tuple(v) for k, v in spec.blanks.items()},
    )
    if spec.salesforce_ids is not None:
        preset = replace(preset, salesforce_ids=spec.salesforce_ids)
    if spec.day_first is not None:
        preset = replace(preset, day_first=spec.day_first)
    return preset


def load_preset(name_or_path: str | Path) -> Preset:
    """A built-in preset by name, or a mapping file (JSON) by path."""
    key = str(name_or_path)
    if key.casefold() in PRESETS:
        return PRESETS[key.casefold()]
    path = Path(key)
    if path.suffix.lower() != ".json" and not path.exists():
        raise InputError(
            key,
            [
                Problem(
                    "preset",
                    "",
                    "unknown preset; use one of " + ", ".join(PRESETS) + " or a mapping .json file",
                )
            ],
        )
    raw = read_json(path)
    try:
        spec = MappingFile.model_validate(raw)
    except ValidationError as error:
        raise InputError(key, problems_from_validation_error(raw, error)) from None
    return _from_mapping(spec, path.name, key)
